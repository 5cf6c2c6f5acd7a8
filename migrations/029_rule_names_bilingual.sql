-- Shipped rules are named in Vietnamese with English alongside ("Báo cháy / Fire alarm"), like every
-- text a person reads. A default still carrying the English name it was shipped with is renamed; one an
-- admin renamed keeps its name.
UPDATE alert_rules AS r SET name = v.name
  FROM (VALUES
    ('fire-alarm', 'Fire alarm', 'Báo cháy / Fire alarm'),
    ('fire-flame', 'Flame detected', 'Phát hiện lửa / Flame detected'),
    ('fire-smoke', 'Smoke', 'Có khói / Smoke'),
    ('fire-heat', 'High temperature', 'Nhiệt độ cao / High temperature'),
    ('fire-heat-rise', 'Rapid temperature rise', 'Nhiệt độ tăng nhanh / Rapid temperature rise'),
    ('fire-co', 'Carbon monoxide', 'Khí CO (cacbon monoxit) / Carbon monoxide'),
    ('aqi-bad', 'Air quality bad (VN_AQI ≥ 151)', 'Không khí xấu (VN_AQI ≥ 151) / Air quality bad (VN_AQI ≥ 151)'),
    ('aqi-very-bad', 'Air quality very bad (VN_AQI ≥ 201)', 'Không khí rất xấu (VN_AQI ≥ 201) / Air quality very bad (VN_AQI ≥ 201)'),
    ('flood', 'Street flooding', 'Ngập đường / Street flooding'),
    ('flood-deep', 'Deep street flooding', 'Ngập sâu / Deep street flooding'),
    ('noise-special-day', 'Noise over the QCVN 26 limit in force, special area, day', 'Tiếng ồn vượt giới hạn QCVN 26 đang áp dụng, khu vực đặc biệt, ban ngày / Noise over the QCVN 26 limit in force, special area, day'),
    ('noise-special-night', 'Noise over the QCVN 26 limit in force, special area, night', 'Tiếng ồn vượt giới hạn QCVN 26 đang áp dụng, khu vực đặc biệt, ban đêm / Noise over the QCVN 26 limit in force, special area, night'),
    ('noise-normal-day', 'Noise over the QCVN 26 limit in force, normal area, day', 'Tiếng ồn vượt giới hạn QCVN 26 đang áp dụng, khu vực thông thường, ban ngày / Noise over the QCVN 26 limit in force, normal area, day'),
    ('noise-normal-night', 'Noise over the QCVN 26 limit in force, normal area, night', 'Tiếng ồn vượt giới hạn QCVN 26 đang áp dụng, khu vực thông thường, ban đêm / Noise over the QCVN 26 limit in force, normal area, night'),
    ('streetlight-dark', 'Streetlight off at night', 'Đèn đường không sáng ban đêm / Streetlight off at night'),
    ('streetlight-undervoltage', 'Supply voltage low', 'Điện áp nguồn thấp / Supply voltage low'),
    ('streetlight-overvoltage', 'Supply voltage high', 'Điện áp nguồn cao / Supply voltage high'),
    ('waste-full', 'Bin needs collection', 'Thùng rác cần thu gom / Bin needs collection'),
    ('waste-overflow', 'Bin overflowing', 'Thùng rác tràn / Bin overflowing'),
    ('waste-hot', 'Bin temperature (fire risk)', 'Nhiệt độ thùng rác cao (nguy cơ cháy) / Bin temperature (fire risk)'),
    ('waste-tilt', 'Bin tipped over', 'Thùng rác bị đổ / Bin tipped over'),
    ('waste-battery', 'Bin sensor battery low', 'Pin cảm biến thùng rác yếu / Bin sensor battery low'),
    ('camera-storage', 'Camera storage nearly full', 'Bộ nhớ camera sắp đầy / Camera storage nearly full'),
    ('camera-not-recording', 'Camera not recording', 'Camera không ghi hình / Camera not recording'),
    ('camera-tamper', 'Camera tampered', 'Camera bị can thiệp / Camera tampered'),
    ('device-offline', 'Device silent', 'Thiết bị không gửi dữ liệu / Device silent'),
    ('device-last-will', 'Device connection lost', 'Thiết bị mất kết nối / Device connection lost'),
    ('event-tamper', 'Tamper alarm', 'Báo động can thiệp / Tamper alarm'),
    ('event-lamp-fault', 'Lamp fault', 'Lỗi bóng đèn / Lamp fault'),
    ('event-alarm-button', 'Alarm button pressed', 'Nút báo động được nhấn / Alarm button pressed'),
    ('ioc-backup', 'IOC backup failed or too old', 'Sao lưu IOC lỗi hoặc quá cũ / IOC backup failed or too old')
  ) AS v(default_key, shipped, name)
 WHERE r.default_key = v.default_key AND r.name = v.shipped;
