"""The Jupyter kernel a chapter runs in (:mod:`sertools.run`): Unix sockets instead of TCP ports,
no interrupt while it shuts down, and no asyncio noise when it exits."""
from __future__ import annotations


def ipc_kernel_manager():
    """A kernel manager that talks to its kernel over Unix sockets in a private folder.

    With TCP, jupyter_client picks free ports by binding and releasing them before the kernel
    binds them again; kernels started at the same moment (sweep points, parallel tests) can
    be handed the same port and die with "Kernel died before replying to kernel_info".
    Unix sockets in a folder of their own cannot collide. It is not interrupted while it shuts
    down (see :meth:`_async_interrupt_kernel` inside).
    """
    import os
    import shutil
    import tempfile

    from jupyter_client import AsyncKernelManager
    from traitlets import default

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            return os.path.join(tempfile.mkdtemp(prefix="sertools-kernel-"), "ipc")

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            # a kernel that exits while its control loop awaits a message has asyncio log "Task was
            # destroyed but it is pending! task: <... ipykernel/kernelbase.py ...>" on the terminal, at
            # times before the run's own error: that one record is dropped in the kernel
            return [*super().format_kernel_cmd(extra_arguments), f"--IPKernelApp.exec_lines={QUIET_KERNEL_EXIT}"]

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts a kernel before shutting it down, with SIGINT to its whole
            # process group: an idle kernel then logs "KeyboardInterrupt caught in kernel", and a fork
            # server still importing its preload prints a traceback before the run's real error.
            # papermill shuts a kernel down only when no cell runs: nothing to interrupt.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

        interrupt_kernel = _async_interrupt_kernel

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart)
            if not restart:
                shutil.rmtree(os.path.dirname(self.ip), ignore_errors=True)

        cleanup_resources = _async_cleanup_resources

    return IPCKernelManager


QUIET_KERNEL_EXIT = ("__import__('logging').getLogger('asyncio').addFilter(lambda r: not ("
                     "'destroyed but it is pending' in r.getMessage() and 'ipykernel' in r.getMessage()))")


def _kernel_failed_to_start(err: BaseException) -> bool:
    text = str(err)
    return any(s in text for s in ("Kernel died before replying to kernel_info", "Kernel didn't respond in"))
