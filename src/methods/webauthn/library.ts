// @simplewebauthn/server, imported on first use: its X.509 and ASN.1 stack (≈ 13 MB of a
// process's resident memory) is loaded by a process that really registers or checks a passkey,
// not by every process that merely offers the method (or has it off).
type Library = typeof import('@simplewebauthn/server');

let loading: Promise<Library> | undefined;

export function webauthnLibrary(): Promise<Library> {
  loading ??= import('@simplewebauthn/server');
  return loading;
}
