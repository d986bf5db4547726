package settings

import "maps"

// Values is a copy of every key of object, for readers that enumerate
// keys by prefix (the API's resource overrides). Empty when the object is
// missing.
func (s *Settings) Values(object string) map[string]string {
	return maps.Clone(s.data[object])
}
