package proxywasm

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// Status is a proxy_status_t returned by a host call.
type Status uint32

// The statuses Envoy returns (proxy-wasm spec, "Types").
const (
	StatusOK                  Status = 0
	StatusNotFound            Status = 1
	StatusBadArgument         Status = 2
	StatusSerializationFailed Status = 3
	StatusParseFailure        Status = 4
	StatusInvalidMemoryAccess Status = 6
	StatusEmpty               Status = 7
	StatusCasMismatch         Status = 8
	StatusInternalFailure     Status = 10
	StatusUnimplemented       Status = 12
)

// Err maps a status to the SDK's error values, so callers can compare with types.ErrorStatus*.
func (s Status) Err() error {
	switch s {
	case StatusOK:
		return nil
	case StatusNotFound:
		return types.ErrorStatusNotFound
	case StatusBadArgument:
		return types.ErrorStatusBadArgument
	case StatusEmpty:
		return types.ErrorStatusEmpty
	case StatusCasMismatch:
		return types.ErrorStatusCasMismatch
	case StatusUnimplemented:
		return types.ErrorUnimplemented
	default:
		return types.ErrorInternalFailure
	}
}

// Map types (proxy_map_type_t).
const (
	MapRequestHeaders  uint32 = 0
	MapResponseHeaders uint32 = 2
)

// Buffer types (proxy_buffer_type_t).
const (
	BufferVMConfiguration     uint32 = 6
	BufferPluginConfiguration uint32 = 7
)

// Log levels (proxy_log_level_t).
const (
	LevelTrace uint32 = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelCritical
)
