// Which engine answers the Docker API: Docker, or Podman's Docker-compatible
// service. Podman names itself in GET /version's components ("Podman
// Engine"), and its /_ping carries a Libpod-Api-Version header.

import type { EngineVersion } from './schemas.js';

export type EngineProductName = 'docker' | 'podman';

export interface EngineProduct {
  name: EngineProductName;
  /** The product's own version (Podman's, not the API's). */
  version: string;
}

const PRODUCT_TITLES: Record<EngineProductName, string> = { docker: 'Docker', podman: 'Podman' };

export function engineProduct(version: Pick<EngineVersion, 'Version' | 'Components'>): EngineProduct {
  const podman = (version.Components ?? []).find((component) => /^podman( engine)?$/i.test(component.Name));
  if (podman !== undefined) return { name: 'podman', version: podman.Version ?? version.Version };
  return { name: 'docker', version: version.Version };
}

/** `Docker 20.10.24`, `Podman 4.3.1`. */
export function describeEngineProduct(product: EngineProduct): string {
  return `${PRODUCT_TITLES[product.name]} ${product.version}`;
}
