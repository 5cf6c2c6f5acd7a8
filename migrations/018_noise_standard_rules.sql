-- The four default noise rules take their limit from the QCVN 26 version in force at each reading
-- (src/standards/noise.ts: QCVN 26:2010/BTNMT until 13 Nov 2025, QCVN 26:2025/BNNMT from 14 Nov 2025)
-- and name it in their texts. Seeding never overwrites a default, so rows still exactly as shipped are
-- brought up to date here; a rule an operator has edited keeps its edit.

UPDATE alert_rules
SET name = 'Noise over the QCVN 26 limit in force, special area, day',
    threshold = NULL, clear_value = NULL, params = '{"limit": "qcvn26", "clearBelowDb": 3}',
    message_vi = 'Tiếng ồn {value} dBA vượt giới hạn ban ngày {threshold} dBA của {standard} (khu vực đặc biệt) tại {name} ({ward})',
    message_en = 'Noise {value} dBA over the daytime limit of {threshold} dBA of {standard} (special area) at {name} ({ward})',
    source_ref = 'QCVN 26:2010/BTNMT until 13 Nov 2025, QCVN 26:2025/BNNMT from 14 Nov 2025 (06:00–21:00); the limit of the version in force (src/standards/noise.ts)',
    updated_at = now()
WHERE default_key = 'noise-special-day' AND threshold = 55 AND clear_value = 52 AND params = '{}'
  AND message_vi = 'Tiếng ồn {value} dBA vượt giới hạn ban ngày 55 dBA (khu vực đặc biệt) tại {name} ({ward})'
  AND message_en = 'Noise {value} dBA over the daytime limit of 55 dBA (special area) at {name} ({ward})';

UPDATE alert_rules
SET name = 'Noise over the QCVN 26 limit in force, special area, night',
    threshold = NULL, clear_value = NULL, params = '{"limit": "qcvn26", "clearBelowDb": 3}',
    message_vi = 'Tiếng ồn {value} dBA vượt giới hạn ban đêm {threshold} dBA của {standard} (khu vực đặc biệt) tại {name} ({ward})',
    message_en = 'Noise {value} dBA over the night limit of {threshold} dBA of {standard} (special area) at {name} ({ward})',
    source_ref = 'QCVN 26:2010/BTNMT until 13 Nov 2025, QCVN 26:2025/BNNMT from 14 Nov 2025 (21:00–06:00); the limit of the version in force (src/standards/noise.ts)',
    updated_at = now()
WHERE default_key = 'noise-special-night' AND threshold = 45 AND clear_value = 42 AND params = '{}'
  AND message_vi = 'Tiếng ồn {value} dBA vượt giới hạn ban đêm 45 dBA (khu vực đặc biệt) tại {name} ({ward})'
  AND message_en = 'Noise {value} dBA over the night limit of 45 dBA (special area) at {name} ({ward})';

UPDATE alert_rules
SET name = 'Noise over the QCVN 26 limit in force, normal area, day',
    threshold = NULL, clear_value = NULL, params = '{"limit": "qcvn26", "clearBelowDb": 3}',
    message_vi = 'Tiếng ồn {value} dBA vượt giới hạn ban ngày {threshold} dBA của {standard} (khu vực thông thường) tại {name} ({ward})',
    message_en = 'Noise {value} dBA over the daytime limit of {threshold} dBA of {standard} (normal area) at {name} ({ward})',
    source_ref = 'QCVN 26:2010/BTNMT until 13 Nov 2025, QCVN 26:2025/BNNMT from 14 Nov 2025 (06:00–21:00); the limit of the version in force (src/standards/noise.ts)',
    updated_at = now()
WHERE default_key = 'noise-normal-day' AND threshold = 70 AND clear_value = 67 AND params = '{}'
  AND message_vi = 'Tiếng ồn {value} dBA vượt giới hạn ban ngày 70 dBA (khu vực thông thường) tại {name} ({ward})'
  AND message_en = 'Noise {value} dBA over the daytime limit of 70 dBA (normal area) at {name} ({ward})';

UPDATE alert_rules
SET name = 'Noise over the QCVN 26 limit in force, normal area, night',
    threshold = NULL, clear_value = NULL, params = '{"limit": "qcvn26", "clearBelowDb": 3}',
    message_vi = 'Tiếng ồn {value} dBA vượt giới hạn ban đêm {threshold} dBA của {standard} (khu vực thông thường) tại {name} ({ward})',
    message_en = 'Noise {value} dBA over the night limit of {threshold} dBA of {standard} (normal area) at {name} ({ward})',
    source_ref = 'QCVN 26:2010/BTNMT until 13 Nov 2025, QCVN 26:2025/BNNMT from 14 Nov 2025 (21:00–06:00); the limit of the version in force (src/standards/noise.ts)',
    updated_at = now()
WHERE default_key = 'noise-normal-night' AND threshold = 55 AND clear_value = 52 AND params = '{}'
  AND message_vi = 'Tiếng ồn {value} dBA vượt giới hạn ban đêm 55 dBA (khu vực thông thường) tại {name} ({ward})'
  AND message_en = 'Noise {value} dBA over the night limit of 55 dBA (normal area) at {name} ({ward})';
