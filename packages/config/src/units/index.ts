export { formatCount, parseCount, COUNT_UNITS } from './count.js';
export { formatDuration, isWholeSeconds, parseDuration, DURATION_UNITS } from './duration.js';
export { formatPercent, parsePercent } from './percent.js';
export { formatSize, parseSize, SIZE_UNITS, type SizeUnit } from './size.js';
