// The small pieces the admin pages build their own controls from (filters, place and profile
// selects): a control under its label, an option, a name in the reader's language.
import { state } from '../state.js';

/** A control with its label above it, in a box of the given class ('field' lays them out as forms do). */
export function labelled(id, text, control, className = 'field') {
  const wrap = document.createElement('div');
  wrap.className = className;
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = text;
  control.id = id;
  wrap.append(label, control);
  return wrap;
}

export function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

/** A {vi, en} name in the reader's language (Vietnamese when the other is missing). */
export const nameIn = (bilingual) => bilingual?.[state.lang] ?? bilingual?.vi ?? '';
