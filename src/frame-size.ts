// Moved to src/protocol/frame-size.ts (frame-size and limits live in the protocol layer); kept so
// that imports of this path work until the domain reads frames through the frame reader.
export {
  exceedsBytes,
  frameSize,
  structuredBound,
  structuredSize,
  utf8Length,
} from './protocol/frame-size.js';
