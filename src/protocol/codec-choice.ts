// Moved into the frame reader, which chooses the codec; kept so that imports of this path work
// until the domain reads frames through `createFrameReader`.
export { chooseCodec, type CodecChoice } from './frame-reader.js';
