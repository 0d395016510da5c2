using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FraudShield.RuleEngine.Rules;

namespace FraudShield.RuleEngine.Counterparty;

/// <summary>One call in a caller's ring: 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public struct CallEntry
{
    /// <summary>The callee's number; 0 for a call the handset received (R04 only).</summary>
    public ulong Callee;

    /// <summary>Call start, epoch seconds.</summary>
    public uint StartSec;

    /// <summary>Duration in seconds, capped at 65,535.</summary>
    public ushort DurationS;

    /// <summary>1 when answered.</summary>
    public byte Answered;

    /// <summary>Reserved.</summary>
    public byte Reserved;
}

/// <summary>A line seen on a handset: 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NumberSlot
{
    /// <summary>The number.</summary>
    public ulong Number;

    /// <summary>Latest call on the handset by this number, epoch ms.</summary>
    public long LastMs;
}

/// <summary>One transaction in an account's ring: 32 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct TxnEntry
{
    /// <summary>Event time, epoch ms.</summary>
    public long TimeMs;

    /// <summary>The other account's hash.</summary>
    public long Other;

    /// <summary>Amount in minor units: positive into the account, negative out of it.</summary>
    public long Amount;

    /// <summary>The payer's number (inbound; 0 when unknown or outbound).</summary>
    public ulong PayerMsisdn;
}

/// <summary>The ring of a caller's most recent calls.</summary>
[InlineArray(CounterpartyParams.MaxCallees)]
public struct CallRing
{
    private CallEntry _first;
}

/// <summary>The lines seen on a handset.</summary>
[InlineArray(CounterpartyParams.MaxNumbers)]
public struct NumberSlots
{
    private NumberSlot _first;
}

/// <summary>The ring of an account's most recent transactions.</summary>
[InlineArray(CounterpartyParams.MaxPayers)]
public struct TxnRing
{
    private TxnEntry _first;
}

/// <summary>The distinct counterparties of an account's R16 window.</summary>
[InlineArray(CounterpartyParams.MaxCounterparties)]
public struct CounterpartySet
{
    private long _first;
}

/// <summary>
/// The aggregate of a calling number or a handset (IMEI), a blittable FASTER value of fixed size (<b>936 bytes</b>; a
/// test pins it): the ring of its most recent <see cref="CounterpartyParams.MaxCallees"/> calls (R03) and the last
/// <see cref="CounterpartyParams.MaxNumbers"/> lines seen on the handset (R04). Nothing grows with traffic.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct CallerAggregate
{
    /// <summary>The calling number or IMEI.</summary>
    public ulong Subject;

    /// <summary>Latest event time seen, epoch ms (the aggregate's "now").</summary>
    public long LastMs;

    /// <summary>When R03 last fired (event time), 0 never.</summary>
    public long R03FiredMs;

    /// <summary>When R04 last fired (event time), 0 never.</summary>
    public long R04FiredMs;

    /// <summary>The kind of key (<see cref="CounterpartyKind.CallerCall"/> or <see cref="CounterpartyKind.ImeiCall"/>).</summary>
    public byte Kind;

    /// <summary>Calls in the ring.</summary>
    public byte Count;

    /// <summary>Index of the oldest call in the ring.</summary>
    public byte Head;

    /// <summary>Lines in <see cref="Numbers"/>.</summary>
    public byte NumberCount;

    /// <summary>Reserved.</summary>
    public int Reserved;

    /// <summary>The most recent calls (arrival order, oldest at <see cref="Head"/>).</summary>
    public CallRing Calls;

    /// <summary>The lines seen on the handset.</summary>
    public NumberSlots Numbers;
}

/// <summary>
/// The aggregate of an account, a blittable FASTER value of fixed size (<b>1,288 bytes</b>; a test pins it): the ring
/// of its most recent <see cref="CounterpartyParams.MaxPayers"/> transactions in and out (R15), the R16 window's sums
/// and up to <see cref="CounterpartyParams.MaxCounterparties"/> distinct counterparties, the account's age and
/// activity history, and its text for the alert. Nothing grows with traffic.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct AccountAggregate
{
    /// <summary>Latest event time seen, epoch ms.</summary>
    public long LastMs;

    /// <summary>Start of the R16 window (its first transaction), epoch ms.</summary>
    public long WindowStartMs;

    /// <summary>Money in within the R16 window, minor units.</summary>
    public long InSum;

    /// <summary>Money out within the R16 window, minor units.</summary>
    public long OutSum;

    /// <summary>The balance after the latest outbound transaction that carried it; valid when <see cref="BalanceMs"/> != 0.</summary>
    public long BalanceAfterMinor;

    /// <summary>Time of that transaction, 0 none.</summary>
    public long BalanceMs;

    /// <summary>When the account was opened (from <c>payee.opened_ms</c>), 0 unknown.</summary>
    public long OpenedMs;

    /// <summary>Start of the current run of activity: the first transaction after a gap of at least R15's <c>dormant</c>.</summary>
    public long ActiveSinceMs;

    /// <summary>The last activity before <see cref="ActiveSinceMs"/>, 0 when the account was never seen before it.</summary>
    public long PreviousActivityMs;

    /// <summary>When R15 last fired (event time), 0 never.</summary>
    public long R15FiredMs;

    /// <summary>When R16 last fired (event time), 0 never.</summary>
    public long R16FiredMs;

    /// <summary>For a partition's history record only: the earliest event time its state covers.</summary>
    public long HistoryStartMs;

    /// <summary>Transactions in the ring.</summary>
    public byte Count;

    /// <summary>Index of the oldest transaction in the ring.</summary>
    public byte Head;

    /// <summary>Distinct counterparties in <see cref="Counterparties"/> (saturates at its capacity).</summary>
    public byte CounterpartyCount;

    /// <summary>Bytes of <see cref="Account"/>.</summary>
    public byte AccountLength;

    /// <summary>Reserved.</summary>
    public int Reserved;

    /// <summary>The account text (truncated to 32 bytes), for the alert.</summary>
    public InlineText Account;

    /// <summary>Distinct counterparties of the R16 window.</summary>
    public CounterpartySet Counterparties;

    /// <summary>The most recent transactions (arrival order, oldest at <see cref="Head"/>).</summary>
    public TxnRing Txns;
}
