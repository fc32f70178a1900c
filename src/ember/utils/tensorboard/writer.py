"""``SummaryWriter``: TensorBoard event files written by ember itself.

PyTorch's writer needs the ``tensorboard`` package to encode its protocol buffers; ember
encodes them in :mod:`._proto`, so logging works on a NumPy-only install and the files open
in any TensorBoard. Events are written when a writer's queue holds ``max_queue`` of them,
every ``flush_secs`` seconds of logging, on ``flush()`` and ``close()``, and at interpreter
exit (PyTorch writes from a background thread; ember writes in the caller, which keeps the
order of events and needs no thread).
"""
from __future__ import annotations

import itertools
import os
import socket
import time
import weakref
from datetime import datetime

from . import _proto as P
from . import _summary as S

_file_ids = itertools.count()  # the last part of an event file's name, as TensorBoard counts


class FileWriter:
    """One event file in ``log_dir``: a queue of encoded events and the file they go to."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self._log_dir = str(log_dir)
        os.makedirs(self._log_dir, exist_ok=True)
        name = "events.out.tfevents.%010d.%s.%s.%s" % (
            time.time(), socket.gethostname(), os.getpid(), next(_file_ids))
        self._path = os.path.join(self._log_dir, name) + filename_suffix
        self._file = open(self._path, "wb")
        self._pending: list[bytes] = []
        self._max_queue, self._flush_secs = max_queue, flush_secs
        self._last_flush = time.monotonic()
        self._finalizer = weakref.finalize(self, FileWriter._drain, self._file, self._pending)
        self._write(S.event(time.time(), file_version="brain.Event:2",
                            source_writer="ember.utils.tensorboard"))
        self.flush()

    def get_logdir(self):
        return self._log_dir

    def add_event(self, event: bytes):
        self._write(event)

    def add_summary(self, summary: bytes, global_step=None, walltime=None):
        self._write(S.event(time.time() if walltime is None else walltime,
                            None if global_step is None else int(global_step), summary=summary))

    def add_graph(self, graph_def: bytes, walltime=None):
        self._write(S.event(time.time() if walltime is None else walltime, graph_def=graph_def))

    def _write(self, event: bytes):
        if self._file.closed:
            raise ValueError(f"the event file {self._path} is closed")
        self._pending.append(P.record(event))
        if len(self._pending) >= self._max_queue or \
                time.monotonic() - self._last_flush >= self._flush_secs:
            self.flush()

    @staticmethod
    def _drain(file, pending):
        if not file.closed:
            file.write(b"".join(pending))
            pending.clear()
            file.flush()

    def flush(self):
        FileWriter._drain(self._file, self._pending)
        self._last_flush = time.monotonic()

    def close(self):
        self.flush()
        self._file.close()


class SummaryWriter:
    """Writes scalars, histograms, images, text, figures, hyperparameters, precision-recall
    curves, embeddings and a model's graph for TensorBoard, as PyTorch's ``SummaryWriter``.

    ``log_dir`` defaults to ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10,
                 flush_secs=120, filename_suffix=""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue, self.flush_secs = max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = S.default_bins()

    def _get_file_writer(self) -> FileWriter:
        """The writer for ``log_dir``, reopened after ``close()``."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                          self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # TensorBoard hides events at and after this step written by a crashed run
                now = time.time()
                self.file_writer.add_event(S.event(now, self.purge_step,
                                                   file_version="brain.Event:2"))
                self.file_writer.add_event(S.event(now, self.purge_step,
                                                   session_log=P.message(P.int_field(1, 1))))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        return self.log_dir

    # ---- scalars --------------------------------------------------------------------------

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        self._get_file_writer().add_summary(
            S.scalar(tag, scalar_value, new_style, double_precision), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """One curve per key, each in its own run directory ``<log_dir>/<main_tag>_<key>``."""
        walltime = time.time() if walltime is None else walltime
        root = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            path = root + "/" + main_tag.replace("/", "_") + "_" + tag
            if path not in self.all_writers:
                self.all_writers[path] = FileWriter(path, self.max_queue, self.flush_secs,
                                                    self.filename_suffix)
            self.all_writers[path].add_summary(S.scalar(main_tag, value), global_step, walltime)

    def add_tensor(self, tag, tensor, global_step=None, walltime=None):
        raise NotImplementedError("SummaryWriter.add_tensor is not supported by ember")

    # ---- distributions --------------------------------------------------------------------

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(S.histogram(tag, values, bins, max_bins),
                                            global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits,  # noqa: A002
                          bucket_counts, global_step=None, walltime=None):
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        self._get_file_writer().add_summary(
            S.histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts),
            global_step, walltime)

    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127,
                     weights=None, walltime=None):
        self._get_file_writer().add_summary(
            S.pr_curve(tag, labels, predictions, num_thresholds, weights), global_step, walltime)

    def add_pr_curve_raw(self, tag, true_positive_counts, false_positive_counts,
                         true_negative_counts, false_negative_counts, precision, recall,
                         global_step=None, num_thresholds=127, weights=None, walltime=None):
        self._get_file_writer().add_summary(
            S.pr_curve_raw(tag, true_positive_counts, false_positive_counts,
                           true_negative_counts, false_negative_counts, precision, recall,
                           num_thresholds), global_step, walltime)

    # ---- images and text ------------------------------------------------------------------

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        self._get_file_writer().add_summary(S.image(tag, img_tensor, dataformats),
                                            global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        self._get_file_writer().add_summary(S.image(tag, img_tensor, dataformats),
                                            global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        self.add_image(tag, S.figure_to_chw(figure, close), global_step, walltime,
                       dataformats="NCHW" if isinstance(figure, list) else "CHW")

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._get_file_writer().add_summary(S.text(tag, text_string), global_step, walltime)

    # ---- hyperparameters, graphs, embeddings ----------------------------------------------

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """One run directory (``run_name``, default the current time) holding the
        hyperparameters and the metrics' values as scalars."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        summaries = S.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        with SummaryWriter(log_dir=logdir) as run:
            for summary in summaries:
                run.file_writer.add_summary(summary, global_step)
            for k, v in metric_dict.items():
                run.add_scalar(k, v, global_step)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """The model's module graph, found by running it once on ``input_to_model``."""
        from ._graph import module_graph
        self._get_file_writer().add_graph(module_graph(model, input_to_model, verbose))

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None,
                      tag="default", metadata_header=None):
        from ._embedding import add_embedding
        add_embedding(self, mat, metadata, label_img, global_step, tag, metadata_header)

    def add_video(self, *args, **kwargs):
        raise NotImplementedError("SummaryWriter.add_video is not supported by ember")

    def add_audio(self, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None):
        """A mono clip (values in [-1, 1]) stored as a 16-bit WAV file."""
        self._get_file_writer().add_summary(S.audio(tag, snd_tensor, sample_rate),
                                            global_step, walltime)

    def add_custom_scalars(self, layout):
        """The custom-scalars dashboard's layout: ``{category: {title: [kind, tags]}}``
        with kind ``"Multiline"`` or ``"Margin"`` (three tags: value, lower, upper)."""
        self._get_file_writer().add_summary(S.custom_scalars(layout))

    def add_custom_scalars_multilinechart(self, tags, category="default", title="untitled"):
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags, category="default", title="untitled"):
        if len(tags) != 3:
            raise AssertionError(f"Expected 3 tags, got {len(tags)}.")
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    def add_mesh(self, *args, **kwargs):
        raise NotImplementedError("SummaryWriter.add_mesh is not supported by ember")

    # ---- lifetime -------------------------------------------------------------------------

    def flush(self):
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self):
        for writer in (self.all_writers or {}).values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()


def read_events(path) -> list[bytes]:
    """The encoded ``Event`` messages of an event file (checksums checked)."""
    with open(path, "rb") as f:
        return P.read_records(f.read())


__all__ = ["FileWriter", "SummaryWriter"]
