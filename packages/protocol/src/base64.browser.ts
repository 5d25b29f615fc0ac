// The browser build of base64.ts: no Buffer. Uses the native Uint8Array base64
// methods where the browser has them, else atob/btoa in slices.

type NativeBase64 = {
  toBase64?: (this: Uint8Array) => string;
};
type NativeFromBase64 = { fromBase64?: (text: string) => Uint8Array };

const SLICE = 0x8000;

export function encodeBase64(bytes: Uint8Array): string {
  const native = (bytes as unknown as NativeBase64).toBase64;
  if (native) return native.call(bytes);
  let binary = "";
  for (let offset = 0; offset < bytes.byteLength; offset += SLICE) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + SLICE));
  }
  return btoa(binary);
}

/** No uninitialised allocation in a browser. */
export function allocUnsafeBytes(size: number): Uint8Array {
  return new Uint8Array(size);
}

export function decodeBase64(text: string): Uint8Array {
  const native = (Uint8Array as unknown as NativeFromBase64).fromBase64;
  if (native) return native(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
