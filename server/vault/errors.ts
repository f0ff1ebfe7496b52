/** A vault that cannot be used as configured, or a sealed value that cannot be opened. */
export class VaultError extends Error {
  override name = "VaultError";
}
