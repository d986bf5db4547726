package server

import (
	"context"
	"fmt"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cacheSyncTimeout bounds how long a write waits for the cache to show
// it; past it, the write is answered anyway.
const cacheSyncTimeout = 5 * time.Second

// cacheSyncInterval is how often the cache is looked at meanwhile: a
// look is a map lookup in memory.
const cacheSyncInterval = 10 * time.Millisecond

// readYourWrites is a client whose reads come from an informer cache and
// whose writes (create, update, patch, delete, and those of the status)
// return once that cache shows them, or after cacheSyncTimeout: a caller
// that reads right after its write, even a script that creates then gets,
// finds what it wrote. Apply and DeleteAllOf are not waited for; the API
// does not use them.
type readYourWrites struct{ client.Client }

// awaitingCache wraps c, unless it is already.
func awaitingCache(c client.Client) client.Client {
	if _, ok := c.(readYourWrites); ok || c == nil {
		return c
	}
	return readYourWrites{c}
}

// Create implements client.Writer.
func (c readYourWrites) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if err := c.Client.Create(ctx, obj, opts...); err != nil {
		return err
	}
	if o := (&client.CreateOptions{}).ApplyOptions(opts); len(o.DryRun) == 0 {
		c.awaitVersion(ctx, obj)
	}
	return nil
}

// Update implements client.Writer.
func (c readYourWrites) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if err := c.Client.Update(ctx, obj, opts...); err != nil {
		return err
	}
	if o := (&client.UpdateOptions{}).ApplyOptions(opts); len(o.DryRun) == 0 {
		c.awaitVersion(ctx, obj)
	}
	return nil
}

// Patch implements client.Writer.
func (c readYourWrites) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := c.Client.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	if o := (&client.PatchOptions{}).ApplyOptions(opts); len(o.DryRun) == 0 {
		c.awaitVersion(ctx, obj)
	}
	return nil
}

// Delete implements client.Writer: it returns once the cache no longer
// holds obj, or holds it marked for deletion (it has finalizers to run).
func (c readYourWrites) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	if err := c.Client.Delete(ctx, obj, opts...); err != nil {
		return err
	}
	if o := (&client.DeleteOptions{}).ApplyOptions(opts); len(o.DryRun) == 0 {
		c.await(ctx, obj, func(cached client.Object, err error) bool {
			return apierrors.IsNotFound(err) || err == nil && (obj.GetUID() != "" && cached.GetUID() != obj.GetUID() || cached.GetDeletionTimestamp() != nil)
		})
	}
	return nil
}

// Status implements client.StatusClient.
func (c readYourWrites) Status() client.SubResourceWriter {
	return readYourStatusWrites{c.Client.Status(), c}
}

// readYourStatusWrites is the status writer of readYourWrites.
type readYourStatusWrites struct {
	client.SubResourceWriter
	c readYourWrites
}

// Update implements client.SubResourceWriter.
func (s readYourStatusWrites) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if err := s.SubResourceWriter.Update(ctx, obj, opts...); err != nil {
		return err
	}
	s.c.awaitVersion(ctx, obj)
	return nil
}

// Patch implements client.SubResourceWriter.
func (s readYourStatusWrites) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if err := s.SubResourceWriter.Patch(ctx, obj, patch, opts...); err != nil {
		return err
	}
	s.c.awaitVersion(ctx, obj)
	return nil
}

// awaitVersion waits until the cache holds obj at the resourceVersion a
// write gave it, or a later one.
func (c readYourWrites) awaitVersion(ctx context.Context, obj client.Object) {
	written, err := strconv.ParseInt(obj.GetResourceVersion(), 10, 64)
	if err != nil {
		return // not a number: there is no telling which is later
	}
	c.await(ctx, obj, func(cached client.Object, err error) bool {
		return err == nil && !olderThan(cached.GetResourceVersion(), written)
	})
}

// await waits until seen holds of what the cache has for obj (the object
// or the error of the read), or an error other than not found says the
// cache will not hold it, or cacheSyncTimeout has passed.
func (c readYourWrites) await(ctx context.Context, obj client.Object, seen func(cached client.Object, err error) bool) {
	cached, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return
	}
	key := client.ObjectKeyFromObject(obj)
	err := wait.PollUntilContextTimeout(ctx, cacheSyncInterval, cacheSyncTimeout, true, func(ctx context.Context) (bool, error) {
		err := c.Client.Get(ctx, key, cached)
		if seen(cached, err) {
			return true, nil
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return false, err
		}
		return false, nil
	})
	if err != nil && ctx.Err() == nil {
		ctrl.LoggerFrom(ctx).Info("answering a write the cache does not show yet", "object", fmt.Sprintf("%T %s", obj, key), "error", err.Error())
	}
}
