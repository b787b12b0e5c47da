// Images for a dev container configuration: pull, build, and the image with
// its Features installed. The public surface used by core and the CLI; the
// configuration itself comes from src/devcontainer.

export { prepareImage, defaultImageName, type PrepareImageOptions, type PreparedImage } from './prepare-image.js';
export { ensureImage, inspectImage, pullImage, parseImageName, type ImageInspect } from './image-pull.js';
export type { PrepareProgressEvent, PreparePhase, ProgressListener } from './progress.js';
export type { BuildkitCli, BuildkitInvocation, BuildkitRunResult, FindBuildkitCli } from './buildkit-build.js';
