// Feedback for what a person did: a failed action says why, in their language, where screen readers
// announce it; a done one says so briefly.
import { errorText } from './i18n.js';
import { $ } from './state.js';

let timer;

export function say(text, kind = 'ok') {
  const box = $('toast');
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(() => (box.hidden = true), kind === 'error' ? 10_000 : 4_000);
}

/** Runs an action; a failure is shown to the person instead of vanishing in the console log. */
export async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    say(errorText(error), 'error');
    return undefined;
  }
}
