package responsewriters

// ScanStructure calls visit with each byte of JSON data that is outside
// strings and is structural ('{', '[', '}', ']' or ','), and the depth of
// nesting after it, until visit returns false. It decodes nothing, so it
// costs one pass over the bytes: what bounds the cost of a document (its
// depth, the size of its indentation) is found before the costly work.
func ScanStructure(data []byte, visit func(c byte, depth int) bool) {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		case c == '"':
			inString = true
			continue
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c != ',':
			continue
		}
		if !visit(c, depth) {
			return
		}
	}
}
