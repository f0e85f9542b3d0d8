"""The SOAP agencies' contracts (document/literal, SOAP 1.1) and the WSDL files made from them.

``python -m devstack.agencies.soap_specs`` writes each WSDL to ``devstack/agencies/wsdl/`` (served by
the stubs) and to ``chalicelib/adapters/agencies/wsdl/`` (packaged for the zeep clients); a test
checks both copies are identical to what the specs produce.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SoapService:
    agency: str  # key used everywhere (start_all, clients, missing_sources)
    service: str  # WSDL service name
    namespace: str
    operation: str
    request_fields: tuple[tuple[str, str], ...]  # (name, xsd type)
    item_name: str | None  # repeated element of the response, if any
    item_fields: tuple[tuple[str, str], ...]
    scalar_fields: tuple[tuple[str, str], ...] = ()  # single response fields besides status


SERVICES: dict[str, SoapService] = {
    s.agency: s
    for s in (
        SoapService(
            agency="cadastre",
            service="RealEstateCadastreService",
            namespace="urn:spsr:agency:cadastre:v1",
            operation="GetPropertiesByOwner",
            request_fields=(("pinfl", "xsd:string"),),
            item_name="property",
            item_fields=(("cadastreNumber", "xsd:string"), ("kind", "tns:PropertyKind")),
        ),
        SoapService(
            agency="traffic_police",
            service="VehicleRegisterService",
            namespace="urn:spsr:agency:traffic-police:v1",
            operation="GetVehiclesByOwner",
            request_fields=(("pinfl", "xsd:string"),),
            item_name="vehicle",
            item_fields=(
                ("vehicleType", "tns:VehicleType"),
                ("manufactureYear", "xsd:int"),
                ("plateNumber", "xsd:string"),
                ("technicalCondition", "xsd:string"),
                ("adaptedForDisability", "xsd:boolean"),
            ),
        ),
        SoapService(
            agency="penitentiary",
            service="DetentionRegisterService",
            namespace="urn:spsr:agency:penitentiary:v1",
            operation="GetDetentionStatus",
            request_fields=(("pinfl", "xsd:string"), ("onDate", "xsd:date")),
            item_name=None,
            item_fields=(),
            scalar_fields=(("detained", "xsd:boolean"),),
        ),
        SoapService(
            agency="enforcement",
            service="EnforcementAlimonyService",
            namespace="urn:spsr:agency:enforcement:v1",
            operation="GetAlimonyPayments",
            request_fields=(("pinfl", "xsd:string"), ("fromMonth", "tns:Month"), ("toMonth", "tns:Month")),
            item_name="payment",
            item_fields=(
                ("direction", "tns:AlimonyDirection"),
                ("month", "tns:Month"),
                ("amount", "xsd:long"),
            ),
        ),
    )
}

_SIMPLE_TYPES = """      <xsd:simpleType name="Month">
        <xsd:restriction base="xsd:string"><xsd:pattern value="[0-9]{4}-(0[1-9]|1[0-2])"/></xsd:restriction>
      </xsd:simpleType>
      <xsd:simpleType name="LookupStatus">
        <xsd:restriction base="xsd:string">
          <xsd:enumeration value="FOUND"/><xsd:enumeration value="NOT_FOUND"/>
        </xsd:restriction>
      </xsd:simpleType>
      <xsd:simpleType name="PropertyKind">
        <xsd:restriction base="xsd:string">
          <xsd:enumeration value="dwelling"/><xsd:enumeration value="non_residential"/>
          <xsd:enumeration value="land"/>
        </xsd:restriction>
      </xsd:simpleType>
      <xsd:simpleType name="VehicleType">
        <xsd:restriction base="xsd:string">
          <xsd:enumeration value="passenger"/><xsd:enumeration value="truck"/><xsd:enumeration value="bus"/>
          <xsd:enumeration value="motorcycle"/><xsd:enumeration value="tractor"/>
          <xsd:enumeration value="trailer"/>
        </xsd:restriction>
      </xsd:simpleType>
      <xsd:simpleType name="AlimonyDirection">
        <xsd:restriction base="xsd:string">
          <xsd:enumeration value="PAID"/><xsd:enumeration value="RECEIVED"/>
        </xsd:restriction>
      </xsd:simpleType>
"""


def _fields(fields: tuple[tuple[str, str], ...], indent: str) -> str:
    return "".join(f'{indent}<xsd:element name="{n}" type="{t}"/>\n' for n, t in fields)


def wsdl_text(s: SoapService) -> str:
    """The WSDL 1.1 document of one service (document/literal wrapped, SOAP 1.1)."""
    op, ns = s.operation, s.namespace
    item_type = ""
    item_ref = ""
    if s.item_name:
        type_name = s.item_name[0].upper() + s.item_name[1:]
        item_type = (
            f'      <xsd:complexType name="{type_name}">\n        <xsd:sequence>\n'
            f"{_fields(s.item_fields, '          ')}        </xsd:sequence>\n      </xsd:complexType>\n"
        )
        item_ref = (
            f'            <xsd:element name="{s.item_name}" type="tns:{type_name}" '
            f'minOccurs="0" maxOccurs="unbounded"/>\n'
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- {s.service}: generated by devstack/agencies/soap_specs.py; do not edit by hand. -->
<wsdl:definitions name="{s.service}" targetNamespace="{ns}"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="{ns}">
  <wsdl:types>
    <xsd:schema targetNamespace="{ns}" elementFormDefault="qualified">
{_SIMPLE_TYPES}{item_type}      <xsd:element name="{op}">
        <xsd:complexType>
          <xsd:sequence>
{_fields(s.request_fields, "            ")}          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="{op}Response">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="status" type="tns:LookupStatus"/>
{_fields(s.scalar_fields, "            ")}{item_ref}          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="{op}Request"><wsdl:part name="parameters" element="tns:{op}"/></wsdl:message>
  <wsdl:message name="{op}Response"><wsdl:part name="parameters" element="tns:{op}Response"/></wsdl:message>
  <wsdl:portType name="{s.service}PortType">
    <wsdl:operation name="{op}">
      <wsdl:input message="tns:{op}Request"/>
      <wsdl:output message="tns:{op}Response"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="{s.service}Binding" type="tns:{s.service}PortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="{op}">
      <soap:operation soapAction="{ns}/{op}"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="{s.service}">
    <wsdl:port name="{s.service}Port" binding="tns:{s.service}Binding">
      <soap:address location="http://127.0.0.1:8080/soap"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""


ROOT = Path(__file__).resolve().parent.parent.parent
WSDL_DIRS = (ROOT / "devstack" / "agencies" / "wsdl", ROOT / "chalicelib" / "adapters" / "agencies" / "wsdl")


def wsdl_filename(agency: str) -> str:
    return f"{agency}.wsdl"


def main() -> None:
    for d in WSDL_DIRS:
        d.mkdir(parents=True, exist_ok=True)
        for s in SERVICES.values():
            (d / wsdl_filename(s.agency)).write_text(wsdl_text(s), encoding="utf-8")
    print("\n".join(str(d) for d in WSDL_DIRS))


if __name__ == "__main__":
    main()
