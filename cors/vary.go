package cors

// VaryHas reports whether a Vary value already names token (case-insensitively) or is "*".
func VaryHas(value []byte, token string) bool {
	for len(value) > 0 {
		var item []byte
		if i := indexByte(value, ','); i >= 0 {
			item, value = value[:i], value[i+1:]
		} else {
			item, value = value, nil
		}
		item = trimOWS(item)
		if len(item) == 1 && item[0] == '*' {
			return true
		}
		if equalFoldASCII(lowerASCII(token), item) {
			return true
		}
	}
	return false
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// MergeVary appends to dst one Vary value holding every token of the values given (each
// once, first spelling kept) followed by the tokens of add that are missing. A "*" anywhere
// wins alone, as RFC 9110 says.
func MergeVary(dst []byte, values [][]byte, add ...string) []byte {
	start := len(dst)
	n := 0
	emit := func(tok []byte) {
		if len(tok) == 0 {
			return
		}
		if VaryHas(dst[start:], string(tok)) {
			return
		}
		if n > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, tok...)
		n++
	}
	for _, v := range values {
		for len(v) > 0 {
			var item []byte
			if i := indexByte(v, ','); i >= 0 {
				item, v = v[:i], v[i+1:]
			} else {
				item, v = v, nil
			}
			item = trimOWS(item)
			if len(item) == 1 && item[0] == '*' {
				return append(dst[:start], '*')
			}
			emit(item)
		}
	}
	for _, a := range add {
		emit([]byte(a))
	}
	return dst
}
