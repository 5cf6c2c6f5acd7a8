// What the server's error codes mean to a person, in both languages. The server's own message is
// written for developers; the console shows these instead. Every code of src/errors.ts has its entry
// (a test keeps the two in step), plus the few the console meets elsewhere.
export const errorTexts = {
  VALIDATION_FAILED: {
    vi: 'Dữ liệu nhập chưa đúng, hãy kiểm tra lại.',
    en: 'Some input is not valid; please check it.',
  },
  UNAUTHENTICATED: {
    vi: 'Phiên đăng nhập đã hết, hãy đăng nhập lại.',
    en: 'Your session has ended; please log in again.',
  },
  FORBIDDEN: { vi: 'Tài khoản của bạn không có quyền làm việc này.', en: 'Your account may not do this.' },
  NOT_FOUND: { vi: 'Không tìm thấy, có thể đã bị xoá.', en: 'Not found; it may have been removed.' },
  DEVICE_NOT_FOUND: { vi: 'Không có thiết bị này.', en: 'No such device.' },
  DEVICE_EXISTS: { vi: 'Đã có thiết bị mang mã này.', en: 'A device with this id already exists.' },
  CONFLICT: {
    vi: 'Trạng thái đã thay đổi (có thể người khác vừa xử lý). Xem lại rồi thử lại.',
    en: 'It changed meanwhile (someone may have acted on it). Check and try again.',
  },
  PAYLOAD_TOO_LARGE: { vi: 'Dữ liệu gửi quá lớn.', en: 'What was sent is too large.' },
  RATE_LIMITED: {
    vi: 'Quá nhiều yêu cầu, hãy đợi một chút rồi thử lại.',
    en: 'Too many requests; wait a moment and try again.',
  },
  ACCOUNT_LOCKED: {
    vi: 'Tài khoản tạm khoá vì đăng nhập sai nhiều lần. Hãy đợi rồi thử lại.',
    en: 'The account is locked for a while after too many failed logins. Wait and try again.',
  },
  INTERNAL: {
    vi: 'Lỗi máy chủ. Hãy thử lại; nếu vẫn lỗi, báo quản trị viên.',
    en: 'Server error. Try again; if it persists, tell an administrator.',
  },
  NOT_READY: {
    vi: 'Máy chủ đang khởi động hoặc mất kết nối cơ sở dữ liệu, hãy thử lại sau.',
    en: 'The server is starting or has lost its database; try again shortly.',
  },
  PRECONDITION_FAILED: { vi: 'Dữ liệu vừa được thay, hãy tải lại.', en: 'It was just replaced; reload it.' },
  RANGE_NOT_SATISFIABLE: { vi: 'Đoạn dữ liệu yêu cầu không có.', en: 'The part asked for is not there.' },
  NETWORK: {
    vi: 'Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.',
    en: 'The server cannot be reached. Check the network and try again.',
  },
  HTTP: { vi: 'Máy chủ từ chối yêu cầu.', en: 'The server refused the request.' },
};
