"""Prints each failed test of the given .trx files with its message and the head of its stack trace."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}

for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as error:
        print(f"{path}: unreadable results ({error})")
        continue
    for result in root.iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") != "Failed":
            continue
        message = result.findtext(".//t:ErrorInfo/t:Message", default="", namespaces=NS).strip()
        trace = result.findtext(".//t:ErrorInfo/t:StackTrace", default="", namespaces=NS).strip().splitlines()
        output = result.findtext(".//t:StdOut", default="", namespaces=NS).strip().splitlines()
        print(f"FAILED {result.get('testName')} ({result.get('duration')})")
        for line in message.splitlines()[:20]:
            print(f"  {line}")
        for line in trace[:8]:
            print(f"  {line}")
        for line in output[-15:]:
            print(f"  | {line}")
