// The device contract published for vendors: the AsyncAPI document (built from ingest's payload
// schemas, the catalogue and the command catalogue) and its HTML rendering. Depends on the catalog
// only; built on first use, then kept, so it costs nothing at start-up.
import type { Catalog } from '../catalog/index.ts';
import { type AsyncApiDocument, asyncApiDocument } from './document.ts';
import { renderContract } from './html.ts';

export interface Contract {
  document(): AsyncApiDocument;
  /** The document as committed in docs/asyncapi.json. */
  json(): string;
  html(): string;
}

export function createContract(catalog: Pick<Catalog, 'kind'>): Contract {
  let document: AsyncApiDocument | undefined;
  let json: string | undefined;
  let html: string | undefined;
  const built = () => {
    document ??= asyncApiDocument(catalog);
    return document;
  };
  return {
    document: built,
    json: () => {
      json ??= `${JSON.stringify(built(), null, 2)}\n`;
      return json;
    },
    html: () => {
      html ??= renderContract(built());
      return html;
    },
  };
}
