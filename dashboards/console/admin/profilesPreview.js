// The payload a device of the profile being written must send: asked of the API (the same example
// builder the profiles API answers with), redrawn a moment after each change of the form.
import { api } from '../api.js';
import { t } from '../i18n.js';

function paragraph(text) {
  const p = document.createElement('p');
  p.textContent = text;
  return p;
}

function code(text, id) {
  const pre = document.createElement('pre');
  pre.id = id;
  pre.className = 'payload-preview';
  pre.textContent = text;
  return pre;
}

/** A preview box and update(id, metrics), which waits for the typing to pause before asking. */
export function createPreview() {
  const box = document.createElement('section');
  box.className = 'profile-preview';
  box.setAttribute('aria-live', 'polite');
  const heading = document.createElement('h3');
  heading.textContent = t('profilesPreviewTitle');
  const content = document.createElement('div');
  box.append(heading, content);
  let timer;
  let asked = 0;

  async function ask(id, metrics) {
    const mine = ++asked;
    let example;
    try {
      example = metrics ? await api('POST', '/api/v1/profiles/example', { id, metrics }) : null;
    } catch {
      example = null; // an unfinished metric: the box says what is missing, the form says where
    }
    if (mine !== asked) return;
    if (!example) {
      content.replaceChildren(paragraph(t('profilesPreviewWaiting')));
      return;
    }
    content.replaceChildren(
      paragraph(t('profilesPreviewTopic')),
      code(example.topic, 'profile-preview-topic'),
      paragraph(t('profilesPreviewPayload')),
      code(JSON.stringify(example.payload, null, 2), 'profile-preview-payload'),
    );
  }

  return {
    element: box,
    update(id, metrics, delay = 300) {
      clearTimeout(timer);
      timer = setTimeout(() => ask(id || undefined, metrics), delay);
    },
  };
}
