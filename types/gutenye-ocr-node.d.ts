// @gutenye/ocr-node (the in-process peer that tools/corpus and tools/bench compare against) ships
// its types only under its "exports" map, which this workspace's node10 module resolution does not
// read; this is the part of its API those tools use (see its README and build/index.d.ts).
// `detect` hands its argument to sharp(), so encoded image bytes work as well as a path.
declare module '@gutenye/ocr-node' {
  interface OcrLine {
    text: string;
    /** Mean character confidence. */
    mean: number;
    box?: number[][];
  }
  interface PeerOcr {
    detect(image: string | Buffer): Promise<OcrLine[]>;
  }
  const Ocr: {
    create(options?: { onnxOptions?: { intraOpNumThreads?: number; interOpNumThreads?: number } }): Promise<PeerOcr>;
  };
  export default Ocr;
}
