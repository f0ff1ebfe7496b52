export { defaultCacheDir, defaultPluginSource, defaultPort, defaultSiteDir } from "./paths.ts";
export { type ProvisionedSite, type ProvisionOptions, provisionWordPress } from "./provision.ts";
export {
  type RunningWordPress,
  readRunning,
  type StartOptions,
  startWordPress,
  stopWordPress,
} from "./server.ts";
