// npm run contract: writes docs/asyncapi.json, the MQTT contract published for device vendors, from the
// same schemas and catalogue the IOC runs with (src/contract/). A test fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { loadCatalog } from '../src/catalog/index.ts';
import { createContract } from '../src/contract/index.ts';

const asyncApiPath = new URL('../docs/asyncapi.json', import.meta.url).pathname;

writeFileSync(asyncApiPath, createContract(loadCatalog()).json());
console.log(`Đã ghi / Wrote ${asyncApiPath}`);
