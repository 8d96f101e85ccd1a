export { runStoreConformance, type ConformanceOptions, type StoreFactory } from './run-store-conformance.js';
