// The request bodies' JSON Schemas, as the API publishes them in its OpenAPI document (built from the
// same zod schemas that validate the requests): the admin forms are drawn from these, so a form and the
// API it calls never disagree about a field.

let documentPromise;

async function openApi() {
  documentPromise ??= fetch('/docs/json').then((res) => {
    if (!res.ok) throw new Error(`the API description did not load (${res.status})`);
    return res.json();
  });
  return documentPromise;
}

/** Replaces every local $ref with the schema it names, so forms read plain schemas. */
function resolve(schema, doc, seen = new Set()) {
  if (Array.isArray(schema)) return schema.map((s) => resolve(s, doc, seen));
  if (!schema || typeof schema !== 'object') return schema;
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#/')) {
    if (seen.has(schema.$ref)) return {};
    const target = schema.$ref
      .slice(2)
      .split('/')
      .reduce((node, key) => node?.[key], doc);
    return resolve(target, doc, new Set([...seen, schema.$ref]));
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, resolve(v, doc, seen)]));
}

/** The JSON body schema of one operation, e.g. bodySchema('post', '/api/v1/users'). */
export async function bodySchema(method, path) {
  const doc = await openApi();
  const operation = doc.paths?.[path]?.[method.toLowerCase()];
  const schema = operation?.requestBody?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`no JSON body documented for ${method.toUpperCase()} ${path}`);
  return resolve(schema, doc);
}
