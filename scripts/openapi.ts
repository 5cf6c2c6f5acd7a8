// npm run openapi: writes docs/openapi.json, the API's OpenAPI document, from the routes as the server
// registers them (src/api/openapi/build.ts). A test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument, openApiText } from '../src/api/openapi/build.ts';
import { parseCommandLine } from '../src/cli/commandLine.ts';

parseCommandLine(
  'openapi',
  `Ghi tài liệu OpenAPI của API HTTP / Write the HTTP API's OpenAPI document

Writes docs/openapi.json from the routes the server registers.

Usage: npm run openapi

  -h, --help    this text

Example
  npm run openapi && git diff --stat docs/openapi.json`,
  { options: {} },
);

const openApiPath = new URL('../docs/openapi.json', import.meta.url).pathname;

const { document } = await buildOpenApiDocument();
writeFileSync(openApiPath, openApiText(document));
console.log(`Đã ghi / Wrote ${openApiPath}`);
