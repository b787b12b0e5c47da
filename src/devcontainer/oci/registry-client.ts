// A client for the OCI distribution API (registry v2), enough to fetch a
// published Feature: manifests and blobs, with the token dance registries
// use (401 + WWW-Authenticate: Bearer → token endpoint) or basic auth.
// Loopback registries speak plain HTTP, as the Docker engine assumes too.

import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { OperationError, errorMessage } from '../../common/errors.js';
import { readBody, type BodySource } from '../../engine/index.js';
import type { RegistryCredentials } from './registry-auth.js';

const MAX_REDIRECTS = 5;
const TIMEOUT_MS = 30_000;
const MANIFEST_LIMIT = 4 * 1024 * 1024;
const REGISTRY_BODY: BodySource = { code: 'E_REGISTRY_PROTOCOL', name: 'A registry response' };

/** http for loopback registries (as the engine treats them), https otherwise. */
export function registryBaseUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return `${loopback ? 'http' : 'https'}://${registry}`;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="…",service="…",scope="…"`. */
export function parseChallenge(header: string): Challenge {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const match of header.slice(space + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) {
    if (match[1] !== undefined) params[match[1].toLowerCase()] = match[2] ?? '';
  }
  return { scheme, params };
}

/** One GET over http or https, with the same timeout for every download of Features. */
export function sendGet(url: URL, headers: OutgoingHttpHeaders): Promise<IncomingMessage> {
  const requester = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requester(url, { method: 'GET', headers, timeout: TIMEOUT_MS }, resolve);
    req.once('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.once('error', reject);
    req.end();
  });
}

export class RegistryClient {
  private authorization: string | undefined;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly credentials?: RegistryCredentials,
  ) {}

  private unreachable(error: unknown): OperationError {
    return new OperationError('E_REGISTRY_UNREACHABLE', `Cannot reach the registry ${this.registry}: ${errorMessage(error)}`, {
      hint: 'Check the network and the registry address in the Feature reference.',
      cause: error,
    });
  }

  /** GET with redirects; Authorization is only sent to the registry itself. */
  private async get(path: string, headers: OutgoingHttpHeaders): Promise<IncomingMessage> {
    let url = new URL(`${registryBaseUrl(this.registry)}${path}`);
    const origin = url.origin;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const sendHeaders = { ...headers };
      if (url.origin === origin && this.authorization !== undefined) sendHeaders['authorization'] = this.authorization;
      let response: IncomingMessage;
      try {
        response = await sendGet(url, sendHeaders);
      } catch (error) {
        throw this.unreachable(error);
      }
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined) {
        response.resume();
        url = new URL(location, url);
        continue;
      }
      return response;
    }
    throw new OperationError('E_REGISTRY_PROTOCOL', `The registry ${this.registry} redirected more than ${MAX_REDIRECTS} times.`);
  }

  /** GET, authenticating once if the registry asks to. */
  private async authorizedGet(path: string, headers: OutgoingHttpHeaders): Promise<IncomingMessage> {
    const first = await this.get(path, headers);
    if (first.statusCode !== 401) return first;
    const challengeHeader = first.headers['www-authenticate'];
    first.resume();
    if (challengeHeader === undefined || this.authorization !== undefined) throw this.authFailed();
    await this.authenticate(parseChallenge(Array.isArray(challengeHeader) ? (challengeHeader[0] ?? '') : challengeHeader));
    const second = await this.get(path, headers);
    if (second.statusCode === 401) {
      second.resume();
      throw this.authFailed();
    }
    return second;
  }

  private authFailed(): OperationError {
    return new OperationError('E_REGISTRY_AUTH', `The registry ${this.registry} refused access to ${this.repository}.`, {
      hint:
        this.credentials === undefined
          ? `Log in with \`docker login ${this.registry}\` (pks reads plain "auth" entries of ~/.docker/config.json), or check the Feature's name.`
          : `Check the credentials for ${this.registry} in ~/.docker/config.json and that they may read ${this.repository}.`,
    });
  }

  private async authenticate(challenge: Challenge): Promise<void> {
    const basic =
      this.credentials === undefined
        ? undefined
        : `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    if (challenge.scheme === 'basic') {
      if (basic === undefined) throw this.authFailed();
      this.authorization = basic;
      return;
    }
    const realm = challenge.params['realm'];
    if (challenge.scheme !== 'bearer' || realm === undefined) throw this.authFailed();
    const tokenUrl = new URL(realm);
    if (challenge.params['service'] !== undefined) tokenUrl.searchParams.set('service', challenge.params['service']);
    tokenUrl.searchParams.set('scope', challenge.params['scope'] ?? `repository:${this.repository}:pull`);
    let response: IncomingMessage;
    try {
      response = await sendGet(tokenUrl, basic === undefined ? {} : { authorization: basic });
    } catch (error) {
      throw this.unreachable(error);
    }
    if (response.statusCode !== 200) {
      response.resume();
      throw this.authFailed();
    }
    const body: unknown = JSON.parse((await readBody(response, MANIFEST_LIMIT, REGISTRY_BODY)).toString('utf8'));
    const token =
      typeof body === 'object' && body !== null
        ? ((body as Record<string, unknown>)['token'] ?? (body as Record<string, unknown>)['access_token'])
        : undefined;
    if (typeof token !== 'string') throw new OperationError('E_REGISTRY_PROTOCOL', `The token service of ${this.registry} returned no token.`);
    this.authorization = `Bearer ${token}`;
  }

  private notFound(what: string, status: number): OperationError {
    return new OperationError(
      status === 404 ? 'E_FEATURE_NOT_FOUND' : 'E_REGISTRY_API',
      status === 404
        ? `${this.registry}/${this.repository}: ${what} not found in the registry.`
        : `${this.registry}/${this.repository}: the registry answered HTTP ${status} for ${what}.`,
      { hint: status === 404 ? 'Check the Feature reference and its version tag.' : 'Try again later, or check the registry.' },
    );
  }

  /** The manifest at `reference` (tag or digest), its digest and media type. */
  async getManifest(reference: string, accept: readonly string[]): Promise<{ body: Buffer; digest: string | undefined; mediaType: string | undefined }> {
    const response = await this.authorizedGet(`/v2/${this.repository}/manifests/${reference}`, { accept: accept.join(', ') });
    if (response.statusCode !== 200) {
      response.resume();
      throw this.notFound(`the manifest "${reference}"`, response.statusCode ?? 0);
    }
    const digestHeader = response.headers['docker-content-digest'];
    const body = await readBody(response, MANIFEST_LIMIT, REGISTRY_BODY);
    return {
      body,
      digest: typeof digestHeader === 'string' ? digestHeader : undefined,
      mediaType: response.headers['content-type']?.split(';')[0],
    };
  }

  /** The blob's bytes as a stream; the caller verifies the digest. */
  async getBlob(digest: string): Promise<IncomingMessage> {
    const response = await this.authorizedGet(`/v2/${this.repository}/blobs/${digest}`, {});
    if (response.statusCode !== 200) {
      response.resume();
      throw this.notFound(`the blob ${digest}`, response.statusCode ?? 0);
    }
    return response;
  }
}
