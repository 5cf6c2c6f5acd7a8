// Signs that go with colour, so colour is never the only signal: one per severity and per kind.
export const severityIcon = { critical: '‼', warning: '⚠', info: 'ℹ' };
export const kindIcon = {
  fire: '🔥',
  environment: '🌫',
  noise: '🔊',
  streetlight: '💡',
  waste: '🗑',
  camera: '📷',
};
