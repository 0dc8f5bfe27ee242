/** scripts/serve.mjs: a static file server for the demo page (and the browser tests). */
export interface Served {
  /** `http://localhost:<port>/` */
  url: string;
  port: number;
  close(): Promise<void>;
}
export function serve(options?: { root?: string; port?: number; host?: string }): Promise<Served>;
