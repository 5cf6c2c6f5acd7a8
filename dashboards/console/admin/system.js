// The system health page: readiness, the ingest journal and queue, broker connections, database size
// and free disk, alert rule lag, the last backup and failed notifications, from GET /api/v1/system/health
// (the numbers /metrics exports), refreshed every 10 s while the page is the one shown.
import { api } from '../api.js';
import { addStrings, errorText, formatDateTime, formatNumber, t } from '../i18n.js';
import { strings } from './system.strings.js';
import { formatBytes } from './systemFormat.js';

addStrings(strings);

const refreshMs = 10_000;
let timer;

const statusTexts = { ready: 'sysReady', degraded: 'sysDegraded', not_ready: 'sysNotReady' };
const checkTexts = { ok: 'sysOk', failing: 'sysFailing' };
const journalTexts = { idle: 'sysJournalIdle', active: 'sysJournalActive', full: 'sysJournalFull' };
const volumeTexts = { data: 'sysVolumeData', database: 'sysVolumeDatabase' };
const yesNo = (value) => t(value ? 'sysYes' : 'sysNo');
const seconds = (n) => t('sysSeconds').replace('{n}', formatNumber(n, n < 1 ? 3 : 1));

/** One group of labelled figures; `warn` marks a figure that needs someone's attention. */
function group(titleKey, rows) {
  const section = document.createElement('section');
  section.className = 'health-group';
  const h = document.createElement('h3');
  h.textContent = t(titleKey);
  const dl = document.createElement('dl');
  for (const [label, value, warn] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = value;
    if (warn) dd.className = 'health-warn';
    dl.append(dt, dd);
  }
  section.append(h, dl);
  return section;
}

function groups(h) {
  const journalShare = h.journal.maxBytes > 0 ? (h.journal.bytes / h.journal.maxBytes) * 100 : 0;
  const backupRows = [
    [
      t('sysLastBackup'),
      h.backups.lastSuccessAt ? formatDateTime(h.backups.lastSuccessAt) : t('sysNever'),
      !h.backups.lastSuccessAt,
    ],
    [
      t('sysLastBackupSize'),
      h.backups.lastSizeBytes === null ? t('sysNever') : formatBytes(h.backups.lastSizeBytes),
    ],
    [t('sysBackupFailures'), formatNumber(h.backups.failures, 0), h.backups.failures > 0],
  ];
  if (h.backups.running)
    backupRows.push([
      t('sysBackups'),
      t('sysBackupRunning').replace('{time}', formatDateTime(h.backups.running.startedAt)),
    ]);
  if (h.backups.last?.ok === false)
    backupRows.push([t('sysBackupLastError'), h.backups.last.error ?? '', true]);
  return [
    group('sysReadiness', [
      [t('sysStatus'), t(statusTexts[h.status] ?? h.status), h.status !== 'ready'],
      [
        t('sysDatabaseCheck'),
        t(checkTexts[h.readiness.checks.database]),
        h.readiness.checks.database !== 'ok',
      ],
      [t('sysBrokerCheck'), t(checkTexts[h.readiness.checks.broker]), h.readiness.checks.broker !== 'ok'],
    ]),
    group('sysJournal', [
      [t('sysJournalMode'), t(journalTexts[h.journal.mode] ?? h.journal.mode), h.journal.mode !== 'idle'],
      [
        t('sysJournalUse'),
        `${formatBytes(h.journal.bytes)} / ${formatBytes(h.journal.maxBytes)} (${formatNumber(journalShare, 1)}%)`,
        journalShare > 50,
      ],
    ]),
    group('sysIngest', [
      [t('sysQueueRows'), formatNumber(h.ingest.queueRows, 0)],
      [t('sysDegradedFlag'), yesNo(h.ingest.degraded), h.ingest.degraded],
    ]),
    group('sysBroker', [
      [t('sysBrokerReady'), yesNo(h.broker.ready), !h.broker.ready],
      [t('sysConnections'), formatNumber(h.broker.connections, 0)],
    ]),
    group('sysDatabase', [
      [t('sysDatabaseKind'), t(h.database.embedded ? 'sysEmbedded' : 'sysExternal')],
      [
        t('sysDatabaseSize'),
        h.database.sizeBytes === null ? t('sysUnknown') : formatBytes(h.database.sizeBytes),
      ],
      ...h.disks.map((d) => {
        const percent = d.totalBytes > 0 ? (d.freeBytes / d.totalBytes) * 100 : 0;
        return [
          t('sysDiskFree')
            .replace('{volume}', t(volumeTexts[d.volume] ?? d.volume))
            .replace('{path}', d.path),
          t('sysDiskFreeOf')
            .replace('{free}', formatBytes(d.freeBytes))
            .replace('{total}', formatBytes(d.totalBytes))
            .replace('{percent}', formatNumber(percent, 1)),
          percent < 10,
        ];
      }),
    ]),
    group('sysRules', [
      [t('sysEvaluating'), yesNo(h.rules.evaluating)],
      [t('sysRuleLag'), seconds(h.rules.lagSeconds), h.rules.lagSeconds > 30],
      [t('sysLoopLag'), seconds(h.rules.eventLoopLagSeconds), h.rules.eventLoopLagSeconds > 1],
    ]),
    group('sysBackups', backupRows),
    group('sysNotifications', [
      [
        t('sysFailedLastHour'),
        h.notifications.failedLastHour === null
          ? t('sysUnknown')
          : formatNumber(h.notifications.failedLastHour, 0),
        (h.notifications.failedLastHour ?? 0) > 0,
      ],
    ]),
  ];
}

const shown = () => /^#admin\/system(\/|$)/.test(location.hash);

export async function render(container) {
  clearInterval(timer);
  const heading = document.createElement('h2');
  heading.textContent = t('sysTitle');
  const intro = document.createElement('p');
  intro.className = 'admin-intro';
  intro.textContent = t('sysIntro');
  const checked = document.createElement('p');
  checked.className = 'health-checked';
  checked.setAttribute('role', 'status');
  const figures = document.createElement('div');
  figures.className = 'health-groups';
  figures.id = 'system-health';

  async function refresh() {
    const health = await api('GET', '/api/v1/system/health');
    figures.replaceChildren(...groups(health));
    figures.dataset.status = health.status;
    checked.textContent = t('sysCheckedAt').replace('{time}', formatDateTime(health.checkedAt));
  }

  const now = document.createElement('button');
  now.type = 'button';
  now.textContent = t('sysRefreshNow');
  now.addEventListener('click', () => {
    now.disabled = true;
    refresh()
      .catch((error) => {
        checked.textContent = `${t('sysRefreshFailed')} (${errorText(error)})`;
      })
      .finally(() => {
        now.disabled = false;
      });
  });
  const bar = document.createElement('div');
  bar.className = 'row-actions';
  bar.append(checked, now);

  await refresh();
  container.replaceChildren(heading, intro, bar, figures);
  // Stops when the admin leaves the page (another address, or this container redrawn by the router).
  timer = setInterval(() => {
    if (!shown() || !figures.isConnected) {
      clearInterval(timer);
      return;
    }
    refresh().catch((error) => {
      checked.textContent = `${t('sysRefreshFailed')} (${errorText(error)})`;
    });
  }, refreshMs);
}
