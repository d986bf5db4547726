package source

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// InvalidateChart forgets what the repository at repoURL listed for chart
// (a Helm repository's index, an OCI registry's tags), under every
// identity, so that the next Resolve asks the repository again whatever
// the poll interval: what a hard refresh of an Application asks for.
func (c *Charts) InvalidateChart(repoURL, chart string) {
	loc, err := locateChart(Repository{URL: repoURL}, chart)
	if err != nil {
		// A registry written without a scheme is OCI (enableOCI).
		if loc, err = locateChart(Repository{URL: repoURL, EnableOCI: true}, chart); err != nil {
			return
		}
	}
	prefix := listPrefix(loc)
	c.mu.Lock()
	defer c.mu.Unlock()
	for key := range c.lists {
		if strings.HasPrefix(key, prefix) {
			delete(c.lists, key)
		}
	}
}

// listPrefix is the part of a listing's key that names the listing, before
// the identity that read it.
func listPrefix(loc chartLocation) string {
	sum := sha256.Sum256([]byte(loc.IndexURL + "\x00" + loc.Ref))
	return hex.EncodeToString(sum[:8]) + "-"
}
