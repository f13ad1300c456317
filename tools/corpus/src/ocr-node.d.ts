// @gutenye/ocr-node ships types only under its "exports" map, which this
// workspace's node10 module resolution does not read; this is the part of its
// API that peer-check uses (see its README and build/index.d.ts).
declare module '@gutenye/ocr-node' {
  interface OcrLine {
    text: string;
    /** Mean character confidence. */
    mean: number;
    box?: number[][];
  }
  interface PeerOcr {
    detect(imagePath: string): Promise<OcrLine[]>;
  }
  const Ocr: {
    create(options?: { onnxOptions?: { intraOpNumThreads?: number; interOpNumThreads?: number } }): Promise<PeerOcr>;
  };
  export default Ocr;
}
