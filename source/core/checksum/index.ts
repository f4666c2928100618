/** Checksums: algorithms, checksum-file parsing, line selection, file hashing and sidecars. */
export {
	DIGEST_HEX_LENGTHS,
	algorithmForHexLength,
	algorithmFromFileName,
	createHasher,
	hexLength,
	isChecksumAlgorithm,
	parseAlgorithmName,
	parseDigestArg,
	sidecarExtension,
} from './algorithms.js';
export {parseChecksumFile, type ChecksumEntry, type MalformedLine, type ParsedChecksumFile} from './parse.js';
export {
	ChecksumError,
	selectChecksum,
	type ChecksumErrorCode,
	type SelectOptions,
	type SelectedChecksum,
} from './select.js';
export {isSidecarTempName, sidecarFileName, sidecarLine, writeFileAtomic, writeSidecar} from './sidecar.js';
export {HASH_CHUNK_BYTES, hashFile, hashPrefix, type HashFileOptions} from './hash-file.js';
