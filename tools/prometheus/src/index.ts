export {
  runScrapeCheck,
  ScrapeCheckError,
  SCRAPE_JOB,
  CONSUMED_BY_STAGE_QUERY,
  type ScrapeCheckOptions,
  type ScrapeCheckReport,
} from './run-scrape-check';
export { formatScrapeCheckReport } from './report';
export { renderPrometheusConfig, scrapeTargetsFromHealthUrls, ScrapeConfigError, type ScrapeTarget, type ScrapeConfigOptions } from './prometheus-config';
export { PrometheusApi, PrometheusApiError, parseTargetsResponse, parseVectorResponse, type ActiveTarget, type VectorSample } from './prometheus-api';
export {
  findPrometheusBinary,
  prometheusVersion,
  startPrometheus,
  PrometheusNotInstalledError,
  PrometheusStartError,
  INSTALL_HINT,
  type RunningPrometheus,
  type StartPrometheusOptions,
} from './prometheus-process';
