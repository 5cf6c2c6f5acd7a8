// What a vendor reads in the published MQTT contract, Vietnamese first and English beside it. Field
// texts are keyed by the payload field they describe; the payload shapes themselves come from ingest's
// and the command catalogue's schemas, never from here.

export interface Bilingual {
  vi: string;
  en: string;
}

/** A payload field's description, and its unit when the schema's numbers have one. */
export interface FieldText extends Bilingual {
  unit?: string;
}

/** A description: the Vietnamese paragraph, then the English one (CommonMark in AsyncAPI). */
export const paragraphs = (text: Bilingual): string => `${text.vi}\n\n${text.en}`;

/** A title or summary on one line. */
export const line = (text: Bilingual): string => `${text.vi} / ${text.en}`;

export const documentTexts = {
  title: { vi: 'Hợp đồng MQTT của IOC thành phố', en: 'City IOC MQTT contract' },
  description: {
    vi:
      'Cách một thiết bị kết nối với Trung tâm điều hành thông minh (IOC), gửi dữ liệu đo, trạng thái và sự kiện, ' +
      'nhận lệnh và trả lời lệnh. Các thao tác được viết theo góc nhìn của IOC: `receive` là những gì IOC nhận ' +
      '(thiết bị publish), `send` là những gì IOC gửi (thiết bị subscribe). Client id = username = mã thiết bị, ' +
      'password = bí mật cấp khi đăng ký. Nội dung là JSON UTF-8. Với QoS 1, PUBACK chỉ đến sau khi tin đã được ' +
      'lưu; tin bị từ chối cũng nhận PUBACK và được giữ làm "dead letter" kèm mã lý do — đừng gửi lại, hãy sửa ' +
      'firmware. Thiết bị chỉ được publish dưới topic của chính mình và chỉ subscribe topic `cmd` của mình.',
    en:
      'How a device connects to the Intelligent Operations Center (IOC), sends readings, status and events, and ' +
      'receives and answers commands. Operations are written from the IOC’s point of view: `receive` is what the ' +
      'IOC receives (the device publishes), `send` is what the IOC sends (the device subscribes). Client id = ' +
      'username = the device id, password = the secret given at registration. Payloads are UTF-8 JSON. At QoS 1 ' +
      'the PUBACK comes only once the message is stored; a refused message is acknowledged too and kept as a dead ' +
      'letter with a reason code — do not resend it, fix the firmware. A device publishes only under its own ' +
      'topics and subscribes only to its own `cmd` topic.',
  },
  limits: {
    vi: 'Giới hạn mặc định (mỗi triển khai có thể đặt khác)',
    en: 'Default limits (a deployment may set others)',
  },
} satisfies Record<string, Bilingual>;

export const serverTexts = {
  mqtt: {
    vi: 'MQTT 3.1.1 qua TCP, không mã hóa: chỉ dùng trong mạng kín hoặc khi TLS kết thúc trước IOC; tắt khi máy chủ đã cấu hình TLS.',
    en: 'MQTT 3.1.1 over plain TCP: only on a closed network or behind a TLS terminator; off once the server has TLS configured.',
  },
  mqtts: {
    vi: 'MQTT 3.1.1 qua TLS (từ TLS 1.2). Khi máy chủ tin một CA thiết bị, chứng chỉ client có CN = mã thiết bị thay cho mật khẩu.',
    en: 'MQTT 3.1.1 over TLS (1.2 or later). When the server trusts a device CA, a client certificate with CN = the device id stands in for the password.',
  },
  host: {
    vi: 'Tên máy chủ hoặc địa chỉ của IOC',
    en: 'The IOC’s host name or address',
  },
  lastWill: {
    vi: 'Nên đặt di chúc: topic `ioc/{city}/{kind}/{deviceId}/status`, nội dung `{"online": false}`, QoS 1, retain.',
    en: 'Set a last will: topic `ioc/{city}/{kind}/{deviceId}/status`, payload `{"online": false}`, QoS 1, retained.',
  },
} satisfies Record<string, Bilingual>;

export const securityTexts = {
  userPassword: {
    vi: 'Username = mã thiết bị (bằng client id), password = bí mật cấp khi đăng ký, chỉ hiện một lần. Sai: CONNACK 4; không gửi: CONNACK 5.',
    en: 'Username = the device id (equal to the client id), password = the secret given at registration, shown once. Wrong: CONNACK 4; none sent: CONNACK 5.',
  },
  x509: {
    vi: 'Chứng chỉ client do CA thiết bị của IOC ký, CN = mã thiết bị; mật khẩu gửi kèm vẫn phải đúng.',
    en: 'A client certificate signed by the IOC’s device CA, CN = the device id; a password sent beside it must still be right.',
  },
} satisfies Record<string, Bilingual>;

export const parameterTexts = {
  city: { vi: 'Thành phố của thiết bị khi đăng ký', en: 'The device’s city, as registered' },
  kind: {
    vi: 'Loại thiết bị khi đăng ký: mã một hồ sơ thiết bị (GET /api/v1/profiles); tài liệu này mô tả các loại có sẵn, loại do quản trị viên thêm theo cùng quy tắc với chỉ số của hồ sơ',
    en: 'The device’s kind, as registered: a device profile’s id (GET /api/v1/profiles); this document describes the shipped kinds, and a kind an admin adds follows the same rules with its profile’s metrics',
  },
  deviceId: {
    vi: 'Mã thiết bị: chữ thường, số và gạch ngang, 3–63 ký tự',
    en: 'The device id: lower-case letters, digits and dashes, 3–63 characters',
  },
} satisfies Record<string, Bilingual>;

export const channelTexts = {
  telemetry: {
    vi: 'Dữ liệu đo của một {name}: một bản đo, hoặc một mảng bản đo tồn đọng sau khi mất mạng (mỗi phần tử được xét riêng). Chu kỳ gửi danh nghĩa {interval} s.',
    en: 'Readings from one {name}: one reading, or an array of kept readings after an outage (each item judged alone). Nominal interval {interval} s.',
  },
  status: {
    vi: 'Trạng thái kết nối và sức khỏe thiết bị; gửi với retain ngay sau khi kết nối, và làm di chúc.',
    en: 'Connection state and device health; publish it retained right after connecting, and as the last will.',
  },
  event: {
    vi: 'Sự kiện rời rạc (nút báo động, phá hoại, lỗi đèn...) và câu trả lời lệnh `cmd_result`.',
    en: 'Discrete events (alarm button, tampering, lamp fault...) and the `cmd_result` answers to commands.',
  },
  cmd: {
    vi: 'Lệnh cho một {name}; thiết bị subscribe topic này (QoS tối đa 1) và trả lời bằng sự kiện `cmd_result` cùng `id`.',
    en: 'Commands to one {name}; the device subscribes to this topic (QoS 1 at most) and answers with a `cmd_result` event carrying the same `id`.',
  },
} satisfies Record<string, Bilingual>;

export const operationTexts = {
  telemetry: { vi: 'IOC nhận dữ liệu đo', en: 'The IOC receives readings' },
  status: { vi: 'IOC nhận trạng thái', en: 'The IOC receives status' },
  event: { vi: 'IOC nhận sự kiện', en: 'The IOC receives events' },
  commandResult: { vi: 'IOC nhận câu trả lời lệnh', en: 'The IOC receives command answers' },
  cmd: { vi: 'IOC gửi lệnh', en: 'The IOC sends commands' },
  qosInbound: {
    vi: 'QoS 1 được khuyến nghị (PUBACK sau khi lưu); QoS 0 không có xác nhận và có thể bị bỏ khi quá tải.',
    en: 'QoS 1 is recommended (PUBACK once stored); QoS 0 is not acknowledged and may be dropped under load.',
  },
  qosCommand: {
    vi: 'IOC gửi lệnh ở QoS 1, không retain. Không có trả lời sau thời hạn thì lệnh thành `timed_out`.',
    en: 'The IOC sends commands at QoS 1, not retained. Without an answer in time the command becomes `timed_out`.',
  },
} satisfies Record<string, Bilingual>;

export const messageTexts = {
  telemetry: { vi: 'Một bản đo', en: 'One reading' },
  backlog: {
    vi: 'Bản đo tồn đọng: một mảng bản đo trên cùng topic; chia thành nhiều tin dưới giới hạn kích thước.',
    en: 'Backlog: an array of readings on the same topic; split it into several messages under the size limit.',
  },
  status: { vi: 'Trạng thái thiết bị', en: 'Device status' },
  lastWill: {
    vi: 'Di chúc: broker gửi nó khi thiết bị mất kết nối không báo trước (mất điện, mất sóng).',
    en: 'Last will: the broker sends it when the device drops without a goodbye (power cut, lost radio link).',
  },
  event: { vi: 'Sự kiện thiết bị', en: 'Device event' },
  commandResult: {
    vi: 'Trả lời lệnh: sự kiện `cmd_result` trên topic `event`, `id` = id của lệnh; `data.ok: false` là thất bại.',
    en: 'Command answer: a `cmd_result` event on the `event` topic, `id` = the command’s id; `data.ok: false` means it failed.',
  },
  cmd: { vi: 'Lệnh', en: 'Command' },
} satisfies Record<string, Bilingual>;

/** Descriptions of payload fields, by field name (metrics are described by the catalogue). */
export const fieldTexts = {
  ts: {
    vi: 'Thời điểm đo: chuỗi ISO 8601 có múi giờ, hoặc số nguyên mili giây epoch; thiếu thì lấy thời điểm nhận. Luôn gửi: bản gửi lại cùng `ts` chỉ được lưu một lần.',
    en: 'When it was measured: ISO 8601 with an offset, or integer epoch milliseconds; the receive time when absent. Always send it: a resend with the same `ts` is stored once.',
  },
  seq: { vi: 'Số thứ tự của thiết bị', en: 'The device’s sequence number' },
  metrics: {
    vi: 'Chỉ số đo, một phần bất kỳ (ít nhất một). Tên lạ: cả bản đo bị từ chối (UNKNOWN_METRIC). Giá trị ngoài khoảng: chỉ chỉ số đó bị bỏ (OUT_OF_RANGE).',
    en: 'Metrics, any subset (at least one). An unknown name refuses the whole reading (UNKNOWN_METRIC). A value out of range drops that metric alone (OUT_OF_RANGE).',
  },
  online: {
    vi: '`true`: đang kết nối; `false`: ngắt kết nối (di chúc)',
    en: '`true`: connected; `false`: disconnected (the last will)',
  },
  battery_pct: { vi: 'Mức pin còn lại', en: 'Battery left', unit: '%' },
  rssi_dbm: { vi: 'Cường độ tín hiệu vô tuyến', en: 'Radio signal strength', unit: 'dBm' },
  fw: { vi: 'Phiên bản firmware', en: 'Firmware version' },
  type: {
    vi: 'Loại sự kiện, snake_case; các cảnh báo mặc định phản ứng với `alarm_button`, `tamper`, `lamp_fault`',
    en: 'Event type, snake_case; the default alert rules react to `alarm_button`, `tamper`, `lamp_fault`',
  },
  id: {
    vi: 'Mã của sự kiện; với `cmd_result`, id của lệnh',
    en: 'The event’s id; for `cmd_result`, the command’s id',
  },
  data: { vi: 'Chi tiết của sự kiện', en: 'The event’s details' },
  commandId: {
    vi: 'Mã lệnh; trả lời bằng `cmd_result` cùng id',
    en: 'The command id; answer with a `cmd_result` of the same id',
  },
  commandTs: { vi: 'Thời điểm IOC gửi lệnh (UTC)', en: 'When the IOC sent the command (UTC)' },
  commandName: { vi: 'Tên lệnh', en: 'The command' },
  commandArgs: { vi: 'Tham số của lệnh', en: 'The command’s arguments' },
  resultData: {
    vi: '`ok: false` là thất bại, thiếu hoặc `true` là thành công; `detail` mô tả kết quả',
    en: '`ok: false` means failed, absent or `true` succeeded; `detail` says what happened',
  },
} satisfies Record<string, FieldText>;

/** Headings of the HTML page. */
export const pageTexts = {
  servers: { vi: 'Máy chủ', en: 'Servers' },
  channels: { vi: 'Kênh', en: 'Channels' },
  direction: { vi: 'Chiều', en: 'Direction' },
  devicePublishes: { vi: 'Thiết bị publish → IOC', en: 'Device publishes → IOC' },
  deviceSubscribes: { vi: 'IOC → thiết bị subscribe', en: 'IOC → device subscribes' },
  parameters: { vi: 'Tham số topic', en: 'Topic parameters' },
  field: { vi: 'Trường', en: 'Field' },
  fieldType: { vi: 'Kiểu', en: 'Type' },
  unit: { vi: 'Đơn vị', en: 'Unit' },
  range: { vi: 'Khoảng', en: 'Range' },
  required: { vi: 'Bắt buộc', en: 'Required' },
  description: { vi: 'Mô tả', en: 'Description' },
  example: { vi: 'Ví dụ', en: 'Example' },
  security: { vi: 'Xác thực', en: 'Authentication' },
  yes: { vi: 'có', en: 'yes' },
  document: { vi: 'Tài liệu AsyncAPI (JSON)', en: 'AsyncAPI document (JSON)' },
} satisfies Record<string, Bilingual>;
