import { SERVICE_KINDS, type Config, type ServiceKind } from '../config/schema.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { selectImage, type ImageSource } from './refs.js';

export interface ImageRow {
  service: ServiceKind;
  enabled: boolean;
  image: string;
  source: ImageSource;
  present: boolean;
  sizeBytes?: number;
  id?: string;
  note?: string;
}

/** For each service: the image the config selects and whether Docker has it locally. */
export async function listImages(
  deps: { runtime: Pick<ContainerRuntime, 'inspectImage'> },
  config: Pick<Config, 'images' | 'services'>,
): Promise<ImageRow[]> {
  const rows: ImageRow[] = [];
  for (const kind of SERVICE_KINDS) {
    const sel = selectImage(config, kind);
    const info = await deps.runtime.inspectImage(sel.ref);
    rows.push({
      service: kind,
      enabled: config.services[kind].enabled,
      image: sel.ref,
      source: sel.source,
      present: info !== undefined,
      ...(info ? { sizeBytes: info.sizeBytes, id: info.id } : {}),
      ...(sel.note ? { note: sel.note } : {}),
    });
  }
  return rows;
}
