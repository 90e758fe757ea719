"""Replies a receiving centre sends (HJ 212-2017 Appendix C, Tables C.5, C.17).

All replies use ``ST=91`` and echo the request's ``QN``.  For HJ 212-2017 peers the QN is a
header field and ``Flag=4`` (version 2017, no split, no acknowledgement).  HJ/T 212-2005 peers
carry the QN inside the CP area and send no Flag, as in the captured 2005 traffic
(``ST=91;CN=9012;…;CP=&&QN=…;ExeRtn=1&&``).
"""

from __future__ import annotations

from lantian.standards.hj212.codes import EXE_RTN_CODES, QN_RTN_CODES
from lantian.standards.hj212.errors import BuildError
from lantian.standards.hj212.model import CpArea, CpItem, Packet, PacketFlags, ProtocolVersion

SYSTEM_INTERACTION_ST = "91"


def _reply(request: Packet, cn: str, items: list[CpItem]) -> Packet:
    if request.version is ProtocolVersion.HJT212_2005:
        groups = [(CpItem("QN", request.qn),)] if request.qn is not None else []
        groups += [(item,) for item in items]
        return Packet(
            st=SYSTEM_INTERACTION_ST, cn=cn, pw=request.pw, mn=request.mn, cp=CpArea(tuple(groups))
        )
    return Packet(
        qn=request.qn,
        st=SYSTEM_INTERACTION_ST,
        cn=cn,
        pw=request.pw,
        mn=request.mn,
        flag=PacketFlags.compose(version_bits=1),
        cp=CpArea(tuple((item,) for item in items)),
    )


def request_ack(request: Packet, qn_rtn: int | str = 1) -> Packet:
    """9011 请求应答 with ``QnRtn`` (1 ready, 2 refused, 3 PW error … 9 CRC error, 100)."""
    code = str(qn_rtn)
    if code not in QN_RTN_CODES:
        raise BuildError(
            f"QnRtn={code} 未定义", f"QnRtn={code} is not a defined return code", field="QnRtn"
        )
    return _reply(request, "9011", [CpItem("QnRtn", code)])


def execution_result(request: Packet, exe_rtn: int | str = 1) -> Packet:
    """9012 执行结果 with ``ExeRtn`` (1 success, 2 failed, … 100 no data)."""
    code = str(exe_rtn)
    if code not in EXE_RTN_CODES:
        raise BuildError(
            f"ExeRtn={code} 未定义", f"ExeRtn={code} is not a defined return code", field="ExeRtn"
        )
    return _reply(request, "9012", [CpItem("ExeRtn", code)])


def notification_ack(notification: Packet) -> Packet:
    """9013 通知应答 to a notification (e.g. 1013 time-calibration request)."""
    return _reply(notification, "9013", [])


def data_ack(upload: Packet) -> Packet:
    """9014 数据应答 (``CP=&&&&``) to an upload whose Flag asks for acknowledgement."""
    return _reply(upload, "9014", [])
