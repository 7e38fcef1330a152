// Types of `enduco/testing` (testing.js): a local enduco sandbox for tests and demos.

/** A running sandbox (sandbox/README.md in the SDK's repository). */
export interface Sandbox {
  /** Its base URL, `http://127.0.0.1:<port>`: pass it as the client's `environment`. */
  readonly url: string
  /** The client credentials and redirect URI it accepts by default. */
  readonly clientId: string
  readonly clientSecret: string
  readonly redirectUri: string
  /** Stops it (also done when this process exits). */
  stop(): void
}

/** Starts a sandbox on a free loopback port; resolves once it listens. It approves every
 * sign-in at once: GET the authorization URL without following the redirect, and the
 * `Location` header is the callback URL with the code. */
export declare function startSandbox(options?: { bin?: string }): Promise<Sandbox>
