// Vietnamese standards as pure functions: VN_AQI (Decision 1459/QĐ-TCMT), QCVN 26 noise limits,
// local time of Asia/Ho_Chi_Minh, and daylight for streetlights.
export * from './aqi.ts';
export * from './noise.ts';
export * from './sun.ts';
export * from './time.ts';
