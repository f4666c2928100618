/**
 * The public surface of the core: the only module the front ends (ui, daemon, commands, server, cli.tsx)
 * import. Everything else under core/ is internal and may change; a test (test/cli/import-graph.test.ts)
 * fails when a front end reaches past this file. Nothing here loads Ink, React or the download engine.
 */

// Opening a library, and what it is.
export {openLibrary, openReader, type OpenLibrary, type OpenLibraryOptions} from './open-library.js';
export type {ImageChange, Library, LibraryEvents, LibraryReader, Notice, ServedBatch, UrlCheck, VerifyResult} from './library.js';
export type {RecoveryReport} from './recovery.js';
export {alive, breakLock, LockHeldError, readLock, type LockInfo} from './lock.js';
export {DataDirError, noLibraryError, prepareDataDir} from './data-dir.js';

// Vocabulary.
export {
	CHECKSUM_ALGORITHMS,
	ERROR_CODES,
	EVENT_KINDS,
	IsomanError,
	STATUSES,
	isErrorCode,
	type AuditEvent,
	type ChecksumAlgorithm,
	type ErrorCode,
	type EventKind,
	type Image,
	type Logger,
	type LogLevel,
	type Status,
} from './types.js';
export {DuplicateImageError, NotFoundError} from './catalogue/repository.js';
export {IllegalTransitionError} from './catalogue/transitions.js';
export type {Progress, RetryState} from './progress.js';
export {OwnerUnavailableError} from './command-queue.js';

// The rules: may action A run on image I now, and if not, why.
export {LIBRARY_ACTIONS, assertAllowed, checkAction, isVerified, type LibraryAction, type Verdict} from './rules.js';

// Importing an ISOMan data directory.
export {importIsoman, ImportLockedError, SourceError, type ImportReport, type ProgressEvent as ImportProgressEvent, type RowResult} from './import/index.js';

// The --json contract.
export {imageToJson, percentOf, progressOf, signedByJson, signedByOf, type ImageJson} from './image-json.js';

// Input for `add` and `edit`, validated the same way everywhere.
export {prepareAdd, ValidationError, type AddInput, type FieldProblem} from './add-input.js';
export {EDITABLE_STATES, type EditPatch} from './edit.js';
export {detectFromUrl, fieldProblem, httpUrlSchema, inferFromFilename, parseFileType, quote} from './naming.js';
export {contentDispositionName, safeRemoteName} from './remote-name.js';
export {parseDigestArg, sidecarExtension} from './checksum/algorithms.js';

// The OpenPGP keyring (`isoman key`), loaded on first use: OpenPGP.js is large and most runs never need it.
export type {AddKeysResult, KeyInfo, KeyRefusal} from './signature/keyring.js';
export async function loadKeyring() {
	const [keyring, source] = await Promise.all([import('./signature/keyring.js'), import('./signature/key-source.js')]);
	return {addKeys: keyring.addKeys, listKeys: keyring.listKeys, removeKey: keyring.removeKey, readKeySource: source.readKeySource};
}

// Signatures: what the add form proposes next to a checksum URL, and how a fingerprint is shown.
export {signatureCandidates, type SignatureProposal} from './signature/propose.js';
export {shortFingerprint} from './signature/basics.js';

// Statistics.
export {statsToJson, trendOptions, type LibraryStats, type Trend, type TrendPeriod} from './stats.js';
export {sparkline, statsSummary, summaryLineText, SUMMARY_LABEL_WIDTH, type SummaryLine} from './stats-summary.js';

// Helpers for front ends.
export {displayLines, displayText, hasUnsafeText, jsonText, messageText, redactUrl, redactUrlsIn} from './display-text.js';
export {createLogger, fileSink, type LogSink} from './log.js';
export {formatBytes, BYTE_UNITS} from './format-bytes.js';
export {freeSpace} from './free-space.js';
export {openNoFollow, SymlinkError} from './safe-fs.js';
export {Throttle} from './throttle.js';
export {formatRateLimit, parseRate, tryParseRate, RATE_RULE} from './rate.js';
export {imageUrl, readServerInfo, removeServerInfo, servedText, writeServerInfo, type ServerInfo} from './server-info.js';
