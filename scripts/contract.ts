// npm run contract: writes docs/asyncapi.json, the MQTT contract published for device vendors, from the
// same schemas and catalogue the IOC runs with (src/contract/). A test fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { loadCatalog } from '../src/catalog/index.ts';
import { parseCommandLine } from '../src/cli/commandLine.ts';
import { createContract } from '../src/contract/index.ts';

parseCommandLine(
  'contract',
  `Ghi hợp đồng MQTT cho nhà cung cấp thiết bị / Write the MQTT contract for device vendors

Writes docs/asyncapi.json from the schemas and device profiles the IOC runs with.

Usage: npm run contract

  -h, --help    this text

Example
  npm run contract && git diff --stat docs/asyncapi.json`,
  { options: {} },
);

const asyncApiPath = new URL('../docs/asyncapi.json', import.meta.url).pathname;

writeFileSync(asyncApiPath, createContract(loadCatalog()).json());
console.log(`Đã ghi / Wrote ${asyncApiPath}`);
