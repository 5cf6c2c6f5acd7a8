// A form drawn from a request body's JSON Schema (schemas.js): one control per property, with the
// schema's limits as the browser's own checks, the same limits checked again before sending, and the
// server's refusals shown next to the field they name. The API validates with the zod schemas the
// document was built from, so what the form accepts and what the API accepts are one rule.
import { ApiError } from '../api.js';
import { say } from '../feedback.js';
import { errorText, t } from '../i18n.js';
import { state } from '../state.js';

let forms = 0;

const isNullable = (schema) =>
  schema.nullable === true || (schema.anyOf ?? []).some((s) => s.type === 'null');
/** The schema without its null alternative (OpenAPI 3.0 writes nullable, 3.1 writes anyOf null). */
function nonNull(schema) {
  const alternatives = (schema.anyOf ?? []).filter((s) => s.type !== 'null');
  return alternatives.length === 1 && schema.anyOf
    ? { ...schema, ...alternatives[0], anyOf: undefined }
    : schema;
}

/** A label: the page's text key, else the vi or en half of the schema's "vi / en" description. */
function labelOf(name, schema, labels) {
  if (labels[name]) return t(labels[name]);
  const description = schema.description ?? '';
  const halves = description.split(' / ');
  if (halves.length === 2) return state.lang === 'vi' ? halves[0] : halves[1];
  return description || name;
}

function optionText(name, value, options) {
  const key = options[name]?.[value];
  if (key) return t(key);
  const known = t(value);
  return known === value ? value : known;
}

/** What is wrong with one value against its schema, in the reader's language; null when nothing. */
export function checkValue(schema, value, required) {
  const s = nonNull(schema);
  if (value === undefined || value === null || value === '') {
    return required && !isNullable(schema) && s.default === undefined ? t('fieldRequired') : null;
  }
  if (typeof value === 'string') {
    if (s.minLength !== undefined && value.length < s.minLength)
      return t('fieldTooShort').replace('{n}', s.minLength);
    if (s.maxLength !== undefined && value.length > s.maxLength)
      return t('fieldTooLong').replace('{n}', s.maxLength);
    if (s.pattern && !new RegExp(s.pattern, 'u').test(value)) return t('fieldPattern');
    if (s.enum && !s.enum.includes(value)) return t('fieldInvalid');
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return t('fieldNumber');
    if (s.type === 'integer' && !Number.isInteger(value)) return t('fieldInteger');
    if (s.minimum !== undefined && value < s.minimum) return t('fieldMin').replace('{n}', s.minimum);
    if (s.maximum !== undefined && value > s.maximum) return t('fieldMax').replace('{n}', s.maximum);
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems)
      return t('fieldMinItems').replace('{n}', s.minItems);
    if (s.maxItems !== undefined && value.length > s.maxItems)
      return t('fieldMaxItems').replace('{n}', s.maxItems);
    for (const item of value) {
      const problem = s.items ? checkValue(s.items, item, true) : null;
      if (problem) return `${item}: ${problem}`;
    }
  }
  return null;
}

/** One control for one property: its element, how to read and set its value, where its error shows. */
function control(name, schema, ctx, path) {
  const s = nonNull(schema);
  const id = `${ctx.prefix}-${path.join('-')}`;
  const label = labelOf(name, s.description ? s : schema, ctx.labels);
  const wrap = document.createElement('div');
  wrap.className = 'field';
  const error = document.createElement('p');
  error.className = 'field-error';
  error.id = `${id}-error`;
  error.setAttribute('aria-live', 'polite');
  const setError = (text) => {
    error.textContent = text ?? '';
    wrap.classList.toggle('invalid', Boolean(text));
  };
  const custom = ctx.widgets[path.join('.')];
  if (custom) {
    const widget = custom({ id, label, schema: s, value: ctx.value(path) });
    wrap.append(widget.element, error);
    return {
      element: wrap,
      read: widget.read,
      setError,
      focus: () => widget.element.querySelector('input,select,textarea')?.focus(),
    };
  }
  if (s.type === 'object' && s.properties) {
    const fieldset = document.createElement('fieldset');
    const legend = document.createElement('legend');
    legend.textContent = label;
    fieldset.append(legend);
    const children = Object.entries(s.properties).map(([child, childSchema]) => {
      const c = control(child, childSchema, ctx, [...path, child]);
      fieldset.append(c.element);
      return [child, c];
    });
    wrap.append(fieldset, error);
    ctx.controls.push(...children.map(([child, c]) => [[...path, child].join('.'), c]));
    return {
      element: wrap,
      read: () => {
        const entries = children.map(([child, c]) => [child, c.read()]).filter(([, v]) => v !== undefined);
        return entries.length ? Object.fromEntries(entries) : isNullable(schema) ? null : undefined;
      },
      setError,
      focus: () => children[0]?.[1].focus(),
      nested: true,
    };
  }
  const labelEl = document.createElement('label');
  labelEl.htmlFor = id;
  labelEl.textContent = label;
  let input;
  let read;
  const current = ctx.value(path);
  if (s.type === 'boolean') {
    input = document.createElement('input');
    input.type = 'checkbox';
    input.checked = current ?? s.default ?? false;
    read = () => input.checked;
    wrap.classList.add('field-check');
    wrap.append(input, labelEl);
  } else if (s.type === 'array' && s.items?.enum) {
    input = document.createElement('fieldset');
    input.id = id;
    const legend = document.createElement('legend');
    legend.textContent = label;
    input.append(legend);
    const boxes = s.items.enum.map((value) => {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.id = `${id}-${value}`;
      box.value = value;
      box.checked = (current ?? []).includes(value);
      const boxLabel = document.createElement('label');
      boxLabel.htmlFor = box.id;
      boxLabel.textContent = optionText(name, value, ctx.options);
      input.append(box, boxLabel);
      return box;
    });
    read = () => {
      const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
      return chosen.length ? chosen : isNullable(schema) ? null : undefined;
    };
    wrap.append(input);
  } else if (s.type === 'array') {
    input = document.createElement('textarea');
    input.rows = 3;
    input.value = (current ?? []).join('\n');
    const numeric = s.items?.type === 'number' || s.items?.type === 'integer';
    read = () => {
      const items = input.value
        .split(/[\n,]/)
        .map((v) => v.trim())
        .filter(Boolean)
        .map((v) => (numeric ? Number(v) : v));
      return items.length ? items : isNullable(schema) ? null : undefined;
    };
    const hint = document.createElement('span');
    hint.className = 'field-hint';
    hint.textContent = t('fieldListHint');
    labelEl.append(' ', hint);
    wrap.append(labelEl, input);
  } else if (s.enum) {
    input = document.createElement('select');
    const empty = isNullable(schema) || !ctx.required(path);
    for (const value of [...(empty ? [''] : []), ...s.enum]) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = value === '' ? t('fieldNone') : optionText(name, value, ctx.options);
      input.append(option);
    }
    input.value = current ?? s.default ?? (empty ? '' : s.enum[0]);
    read = () => (input.value === '' ? (isNullable(schema) ? null : undefined) : input.value);
    wrap.append(labelEl, input);
  } else if (s.type === 'number' || s.type === 'integer') {
    input = document.createElement('input');
    input.type = 'number';
    input.step = s.type === 'integer' ? '1' : 'any';
    if (s.minimum !== undefined) input.min = String(s.minimum);
    if (s.maximum !== undefined) input.max = String(s.maximum);
    input.value = current ?? s.default ?? '';
    read = () => (input.value === '' ? (isNullable(schema) ? null : undefined) : Number(input.value));
    wrap.append(labelEl, input);
  } else {
    // Messages and instructions (500 characters and more) get room; addresses and names stay one line.
    const long = (s.maxLength ?? 0) >= 500 && !s.format;
    input = document.createElement(long ? 'textarea' : 'input');
    if (!long) input.type = /password|secret/i.test(name) ? 'password' : 'text';
    if (long) input.rows = 3;
    if (s.maxLength !== undefined) input.maxLength = s.maxLength;
    if (/password/i.test(name)) input.autocomplete = 'new-password';
    input.value = current ?? s.default ?? '';
    read = () => (input.value === '' ? (isNullable(schema) ? null : undefined) : input.value);
    wrap.append(labelEl, input);
  }
  if (input.tagName !== 'FIELDSET') {
    input.id = id;
    input.name = path.join('.');
    input.setAttribute('aria-describedby', error.id);
    if (ctx.required(path) && !isNullable(schema) && s.type !== 'boolean') input.required = true;
  }
  wrap.append(error);
  return { element: wrap, read, setError, focus: () => (input.querySelector?.('input') ?? input).focus() };
}

/** The discriminator of a oneOf of objects: the property every alternative fixes to one value. */
function discriminatorOf(schema) {
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (!alternatives?.every((a) => a.type === 'object' && a.properties)) return null;
  const first = alternatives[0].properties;
  const name = Object.keys(first).find((key) =>
    alternatives.every((a) => a.properties[key]?.enum?.length === 1),
  );
  return name ? { name, alternatives } : null;
}

/**
 * A form for a body schema. Options: values (to edit), fields (which properties, in order), labels
 * ({field: textKey}), options ({field: {value: textKey}}), widgets ({field: ({id,label,schema,value}) =>
 * {element, read}}), submitText (a text key), onSubmit(body) (may throw an ApiError), onChange(body).
 * Returns { element, read(), showErrors(error) }.
 */
export function createForm(opts) {
  const form = document.createElement('form');
  form.className = 'admin-form';
  form.noValidate = true;
  const prefix = `f${++forms}`;
  let values = structuredClone(opts.values ?? {});
  let fieldsBox = document.createElement('div');
  fieldsBox.className = 'fields';
  const status = document.createElement('p');
  status.className = 'form-status';
  status.setAttribute('role', 'alert');
  const submit = document.createElement('button');
  submit.type = 'submit';
  submit.textContent = t(opts.submitText ?? 'save');
  const actions = document.createElement('div');
  actions.className = 'form-actions';
  actions.append(submit, ...(opts.extraActions ?? []));
  form.append(fieldsBox, status, actions);
  let controls = [];

  function draw() {
    const discriminated = discriminatorOf(opts.schema);
    let schema = opts.schema;
    const drawn = document.createElement('div');
    drawn.className = 'fields';
    controls = [];
    if (discriminated) {
      const { name, alternatives } = discriminated;
      const chosen = values[name] ?? alternatives[0].properties[name].enum[0];
      schema = alternatives.find((a) => a.properties[name].enum[0] === chosen) ?? alternatives[0];
      const select = document.createElement('select');
      select.id = `${prefix}-${name}`;
      for (const a of alternatives) {
        const option = document.createElement('option');
        option.value = a.properties[name].enum[0];
        option.textContent = optionText(name, option.value, opts.options ?? {});
        select.append(option);
      }
      select.value = chosen;
      select.addEventListener('change', () => {
        values = { ...read(), [name]: select.value };
        draw();
        opts.onChange?.(read());
      });
      const wrap = document.createElement('div');
      wrap.className = 'field';
      const label = document.createElement('label');
      label.htmlFor = select.id;
      label.textContent = labelOf(name, schema.properties[name], opts.labels ?? {});
      wrap.append(label, select);
      drawn.append(wrap);
      controls.push([name, { read: () => select.value, setError: () => {}, focus: () => select.focus() }]);
    }
    const required = new Set(schema.required ?? []);
    const ctx = {
      prefix,
      labels: opts.labels ?? {},
      options: opts.options ?? {},
      widgets: opts.widgets ?? {},
      controls: [],
      value: (path) => path.reduce((node, key) => node?.[key], values),
      required: (path) => path.length === 1 && required.has(path[0]),
    };
    const names = (opts.fields ?? Object.keys(schema.properties ?? {})).filter(
      (n) => schema.properties?.[n] && n !== discriminated?.name,
    );
    for (const name of names) {
      const c = control(name, schema.properties[name], ctx, [name]);
      drawn.append(c.element);
      controls.push([name, c]);
    }
    controls.push(...ctx.controls);
    fieldsBox.replaceWith(drawn);
    fieldsBox = drawn;
    form.schema = schema;
  }

  function read() {
    const body = {};
    for (const [path, c] of controls) {
      if (path.includes('.')) continue; // read through its parent object
      const value = c.read();
      if (value !== undefined) body[path] = value;
    }
    return body;
  }

  /** Checks every top-level field against the schema; shows and returns whether all pass. */
  function check(body) {
    const schema = form.schema;
    const required = new Set(schema.required ?? []);
    let first = null;
    for (const [path, c] of controls) {
      if (path.includes('.')) continue;
      const fieldSchema = schema.properties?.[path];
      if (!fieldSchema) continue;
      const problem = checkValue(fieldSchema, body[path], required.has(path));
      if (!problem && fieldSchema.type === 'object' && body[path]) {
        const inner = new Set(fieldSchema.required ?? []);
        for (const [child, childSchema] of Object.entries(fieldSchema.properties ?? {})) {
          const childProblem = checkValue(childSchema, body[path][child], inner.has(child));
          const childControl = controls.find(([p]) => p === `${path}.${child}`)?.[1];
          childControl?.setError(childProblem);
          if (childProblem && !first) first = childControl;
        }
      }
      c.setError(problem);
      if (problem && !first) first = c;
    }
    first?.focus();
    return !first;
  }

  /** A refusal from the API: each named field shows its reason; the form says what failed overall. */
  function showErrors(error) {
    for (const [, c] of controls) c.setError(null);
    const fields = Array.isArray(error?.details)
      ? error.details.map((d) => ({
          field: String(d.path ?? '').replace(/^body\.?/, ''),
          text: t('fieldInvalid'),
        }))
      : (error?.details?.fields ?? []).map((f) => ({ field: f.field, text: f[state.lang] ?? f.en }));
    let first = null;
    for (const { field, text } of fields) {
      const c = controls.find(([p]) => p === field || field.startsWith(`${p}.`))?.[1];
      c?.setError(text);
      first ??= c;
    }
    first?.focus();
    status.textContent = errorText(error);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.textContent = '';
    const body = read();
    if (!check(body)) {
      status.textContent = t('formHasErrors');
      return;
    }
    submit.disabled = true;
    try {
      await opts.onSubmit(body);
    } catch (error) {
      if (error instanceof ApiError) showErrors(error);
      else {
        status.textContent = errorText(error);
        say(errorText(error), 'error');
      }
    } finally {
      submit.disabled = false;
    }
  });
  form.addEventListener('input', () => opts.onChange?.(read()));
  draw();
  return { element: form, read, showErrors, check: () => check(read()) };
}
