// The operator's language: texts from strings.js by key, Vietnamese unless they chose English.

import { errorTexts } from './errors.js';
import { $, state } from './state.js';
import { strings } from './strings.js';

export const t = (key) => strings[state.lang][key] ?? key;

/** Adds a page's own text table ({vi, en}) to the console's; keys are unique across tables. */
export function addStrings(table) {
  Object.assign(strings.vi, table.vi);
  Object.assign(strings.en, table.en);
}
export const locale = () => (state.lang === 'vi' ? 'vi-VN' : 'en-GB');

/** Fills every element marked with data-text in the current language. */
export function applyTexts() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll('[data-text]')) el.textContent = t(el.dataset.text);
  for (const el of document.querySelectorAll('[data-label]'))
    el.setAttribute('aria-label', t(el.dataset.label));
  $('lang').textContent = state.lang === 'vi' ? 'EN' : 'VI';
}

/** A failure as a person reads it: the text for its code, never the server's developer message. */
export function errorText(error) {
  const texts = errorTexts[error?.code] ?? errorTexts.HTTP;
  return texts[state.lang];
}

/** Numbers as the reader writes them: 12,5 in Vietnamese, 12.5 in English. */
export function formatNumber(value, digits = 1) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value ?? '');
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

/** A moment in the city's time zone, in the reader's format. */
export function formatDateTime(iso) {
  return new Date(iso).toLocaleString(locale(), { timeZone: 'Asia/Ho_Chi_Minh' });
}
