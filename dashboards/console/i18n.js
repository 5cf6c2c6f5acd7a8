// The operator's language: texts from strings.js by key, Vietnamese unless they chose English.

import { $, state } from './state.js';
import { strings } from './strings.js';

export const t = (key) => strings[state.lang][key] ?? key;
export const locale = () => (state.lang === 'vi' ? 'vi-VN' : 'en-GB');

/** Fills every element marked with data-text in the current language. */
export function applyTexts() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll('[data-text]')) el.textContent = t(el.dataset.text);
  $('lang').textContent = state.lang === 'vi' ? 'EN' : 'VI';
}
