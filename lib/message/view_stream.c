/* view_stream - see view_stream.h.  Modelled on GMime's own GMimeStreamMem. */
#include "view_stream.h"

#include <string.h>

typedef struct {
    GMimeStream parent;
    struct spool *spool;
    char error[256];
} ViewStream;

typedef struct {
    GMimeStreamClass parent_class;
} ViewStreamClass;

GType view_stream_get_type(void);
G_DEFINE_TYPE(ViewStream, view_stream, GMIME_TYPE_STREAM)

static gint64 view_stream_end(GMimeStream *stream)
{
    ViewStream *vs = (ViewStream *)stream;
    return stream->bound_end != -1 ? stream->bound_end : (gint64)spool_size(vs->spool);
}

static ssize_t view_stream_read(GMimeStream *stream, char *buf, size_t len)
{
    ViewStream *vs = (ViewStream *)stream;
    gint64 left = view_stream_end(stream) - stream->position;

    if (left <= 0)
        return left == 0 ? 0 : -1;
    if ((gint64)len > left)
        len = (size_t)left;
    ssize_t n = spool_read_at(vs->spool, (uint64_t)stream->position, buf, len, vs->error,
                              sizeof(vs->error));
    if (n > 0)
        stream->position += n;
    return n;
}

static ssize_t view_stream_write(GMimeStream *stream, const char *buf, size_t len)
{
    ViewStream *vs = (ViewStream *)stream;

    /* Appending is all the view needs; anything else is a bug. */
    if (stream->bound_end != -1 || stream->position != (gint64)spool_size(vs->spool))
        return -1;
    if (spool_write(vs->spool, buf, len, vs->error, sizeof(vs->error)) != 0)
        return -1;
    stream->position += (gint64)len;
    return (ssize_t)len;
}

static int view_stream_flush(GMimeStream *stream)
{
    (void)stream;
    return 0;
}

static int view_stream_close(GMimeStream *stream)
{
    (void)stream;
    return 0;
}

static gboolean view_stream_eos(GMimeStream *stream)
{
    return stream->position >= view_stream_end(stream);
}

static int view_stream_reset(GMimeStream *stream)
{
    stream->position = stream->bound_start;
    return 0;
}

static gint64 view_stream_seek(GMimeStream *stream, gint64 offset, GMimeSeekWhence whence)
{
    gint64 end = view_stream_end(stream), real = stream->position;

    switch (whence) {
    case GMIME_STREAM_SEEK_SET:
        real = offset;
        break;
    case GMIME_STREAM_SEEK_CUR:
        real = stream->position + offset;
        break;
    case GMIME_STREAM_SEEK_END:
        real = end + offset;
        break;
    }
    if (real < stream->bound_start)
        real = stream->bound_start;
    else if (real > end)
        real = end;
    stream->position = real;
    return real;
}

static gint64 view_stream_tell(GMimeStream *stream)
{
    return stream->position;
}

static gint64 view_stream_length(GMimeStream *stream)
{
    return view_stream_end(stream) - stream->bound_start;
}

static GMimeStream *view_stream_substream(GMimeStream *stream, gint64 start, gint64 end)
{
    ViewStream *sub = g_object_new(view_stream_get_type(), NULL);

    sub->spool = ((ViewStream *)stream)->spool;
    g_mime_stream_construct(GMIME_STREAM(sub), start, end);
    return GMIME_STREAM(sub);
}

static void view_stream_class_init(ViewStreamClass *klass)
{
    GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);

    sc->read = view_stream_read;
    sc->write = view_stream_write;
    sc->flush = view_stream_flush;
    sc->close = view_stream_close;
    sc->eos = view_stream_eos;
    sc->reset = view_stream_reset;
    sc->seek = view_stream_seek;
    sc->tell = view_stream_tell;
    sc->length = view_stream_length;
    sc->substream = view_stream_substream;
}

static void view_stream_init(ViewStream *vs)
{
    vs->spool = NULL;
    vs->error[0] = '\0';
}

GMimeStream *view_stream_new(struct spool *sp)
{
    ViewStream *vs = g_object_new(view_stream_get_type(), NULL);

    vs->spool = sp;
    g_mime_stream_construct(GMIME_STREAM(vs), 0, -1);
    return GMIME_STREAM(vs);
}

const char *view_stream_error(GMimeStream *stream)
{
    ViewStream *vs = (ViewStream *)stream;
    return vs->error[0] ? vs->error : NULL;
}
