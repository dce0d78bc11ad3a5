import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";

/**
 * A throwaway TLS identity for the stand-in, made at bench time with Debian's `openssl`: RSA 2048, as Amazon's
 * endpoints serve, valid one day for 127.0.0.1 only. The servers under test trust it through NODE_EXTRA_CA_CERTS
 * (read once at start, so no code of theirs changes), exactly as they would a private CA in production.
 */
export interface BenchCertificate {
  certFile: string;
  keyFile: string;
}

export function makeCertificate(dir: string): BenchCertificate {
  mkdirSync(dir, { recursive: true });
  const certFile = path.join(dir, "stand-in-cert.pem");
  const keyFile = path.join(dir, "stand-in-key.pem");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ...["-keyout", keyFile, "-out", certFile, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return { certFile, keyFile };
}
