package render

import "context"

// Refresh renders req afresh, whatever the cache holds for it, and keeps
// the new render: what a hard refresh of an Application asks for, when a
// user suspects a render that the content of its inputs does not explain.
func (c *Cache) Refresh(ctx context.Context, req Request) (*Result, bool, error) {
	if key, err := cacheKey(req); err == nil {
		c.mu.Lock()
		c.remove(key)
		c.mu.Unlock()
	}
	return c.Render(ctx, req)
}
