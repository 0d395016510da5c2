using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FraudShield.RuleEngine.State;

/// <summary>Up to 32 bytes of an event id, stored inline so <see cref="PartyState"/> stays blittable.</summary>
[InlineArray(Length)]
public struct EventIdBytes
{
    /// <summary>Capacity in bytes; longer ids are truncated (they stay unique enough as evidence pointers).</summary>
    public const int Length = 32;

    private byte _first;
}

/// <summary>
/// Everything the engine remembers about one protected party (keyed by E.164 number), blittable so FASTER stores
/// it inline: 536 bytes a party (a test pins the size). Fields are grouped by the rule that reads them; times are event-time epoch ms.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct PartyState
{
    // R01: international calls. The 2 h sum window and the last international call before it
    // (the "no international calls in the prior 30 days" condition looks before the window).
    /// <summary>Start of the current 2 h window of inbound international calls.</summary>
    public long IntlWindowStartMs;

    /// <summary>Seconds of answered inbound international calls in the window.</summary>
    public int IntlWindowSeconds;

    /// <summary>R01 already fired for this window.</summary>
    public bool IntlWindowFired;

    // Single bytes of R10 and R13 sit here, in what would otherwise be alignment padding.
    /// <summary>R10: distinct own accounts swept into <see cref="NewAccount"/> since <see cref="SweepStartMs"/> (saturates).</summary>
    public byte SweepSources;

    /// <summary>R13: fee-sized transfers to new payees in the current loan-contact episode (saturates).</summary>
    public byte FeeCount;

    /// <summary>R13: distinct new payees among them (saturates).</summary>
    public byte FeePayees;

    /// <summary>Last international call seen before the current window started; 0 when none.</summary>
    public long LastIntlBeforeWindowMs;

    /// <summary>Last international call of any kind.</summary>
    public long LastIntlCallMs;

    // Sequences (R07 and later): the latest suspicious contact.
    /// <summary>End time of the latest suspicious call (R01/R02); 0 when none.</summary>
    public long LastSuspiciousCallMs;

    /// <summary>Duration of that call in seconds.</summary>
    public int LastSuspiciousCallSeconds;

    /// <summary>Typology reference (see <see cref="StringTable"/>) of that contact.</summary>
    public int LastSuspiciousTypology;

    /// <summary>Length of <see cref="LastSuspiciousEventId"/>.</summary>
    public byte LastSuspiciousEventIdLength;

    /// <summary>Event id of that call, for evidence.</summary>
    public EventIdBytes LastSuspiciousEventId;

    // R14's history count and R10's account fingerprint fill the padding after the event id.
    /// <summary>R14: transfers folded into <see cref="TypicalOutMinor"/> (saturates at 255).</summary>
    public byte TypicalCount;

    /// <summary>
    /// R10: the new account the party's money is being swept into, as a 32-bit fingerprint (<see cref="AccountFingerprint"/>);
    /// 0 when none. It is only ever compared with the party's own payer accounts, so 32 bits make a false match
    /// about one in 4 x 10^9 per transaction.
    /// </summary>
    public uint NewAccount;

    /// <summary>Calling number of the latest inbound suspicious call (R05 call-backs).</summary>
    public ulong SuspiciousCaller;

    /// <summary>Presented number of that call, when it differs from the calling number; else 0.</summary>
    public ulong SuspiciousPresented;

    /// <summary>End time of the latest inbound suspicious call (R05's anchor; call-backs do not move it).</summary>
    public long InboundSuspiciousEndMs;

    /// <summary>Duration of that call in seconds.</summary>
    public int InboundSuspiciousSeconds;

    /// <summary>R05: call attempts back to the suspicious caller since that call.</summary>
    public byte CallBackCount;

    /// <summary>Per-sequence flags, see <see cref="SequenceMarks"/>.</summary>
    public SequenceMarks Flags;

    // Single bytes of later groups sit here, in what would otherwise be alignment padding.
    /// <summary>R11: length of the current chain of escalating transfers.</summary>
    public byte TopupCount;

    /// <summary>Severity of the open incident, 1 (L1) to 4 (L4); only rises (falls numerically).</summary>
    public byte IncidentSeverity;

    /// <summary>Event time R06 last fired (R07's window also opens there); 0 when never.</summary>
    public long ScreenShareMs;

    /// <summary>Latest risk signal of any kind: an alert on the party, a risky app install, a stranger's rebate (R09/R11 context).</summary>
    public long LastRiskSignalMs;

    // R09: outflows in the current 24 h window, from its first outflow.
    /// <summary>Start of the current drain window; 0 when none.</summary>
    public long DrainWindowStartMs;

    /// <summary>Outflows (TRANSFER, CASH_OUT) in the window.</summary>
    public long DrainOutMinor;

    // R11: the current chain of escalating transfers to new payees.
    /// <summary>Time of the chain's first transfer.</summary>
    public long TopupChainStartMs;

    /// <summary>Amount of the chain's last transfer.</summary>
    public long TopupLastMinor;

    /// <summary>Sum of the chain.</summary>
    public long TopupSumMinor;

    // R12: the latest small inbound transfer from a stranger.
    /// <summary>Its time; 0 when none (or consumed by a firing).</summary>
    public long RebateMs;

    /// <summary>Its amount.</summary>
    public long RebateMinor;

    /// <summary>Length of <see cref="RebateEventId"/>.</summary>
    public byte RebateEventIdLength;

    /// <summary>Its transaction id, for evidence.</summary>
    public EventIdBytes RebateEventId;

    // R18.
    /// <summary>Event time the open incident was last emitted at L2 or above; 0 when never.</summary>
    public long IncidentHotMs;

    // Payer history (R07): max outgoing transfer over 90 days as three 30-day buckets.
    /// <summary>Max outgoing amount in bucket epoch, epoch-1 and epoch-2.</summary>
    public long MaxOut0, MaxOut1, MaxOut2;

    /// <summary>Index (ms / 30 days) of bucket 0 (paired with <see cref="IncidentVersion"/> to avoid padding).</summary>
    public int MaxBucketEpoch;

    // The open incident (one per party within the incident window).
    /// <summary>Version of the last emitted alert of the incident.</summary>
    public int IncidentVersion;

    /// <summary>Event time the open incident started; 0 when none.</summary>
    public long IncidentStartMs;

    /// <summary>Deterministic id of the open incident's alert.</summary>
    public long IncidentId;

    /// <summary>Typology reference of the incident.</summary>
    public int IncidentTypology;

    /// <summary>Bit i set when rule R(i+1) has fired within the incident.</summary>
    public uint IncidentRules;

    /// <summary>Amount at risk so far (minor units).</summary>
    public long IncidentAmountMinor;

    // Jurisdiction: the serving cell of the party's latest call, resolved against the cell table when an alert is built.
    /// <summary><see cref="CellTable.KeyOf"/> of the latest call's <c>cell_id</c>; 0 when none.</summary>
    public ulong ServingCell;

    /// <summary>Event time of that call (its end); 0 when none.</summary>
    public long ServingCellMs;

    // R10: the latest consolidation, transfers from the party's accounts into a newly opened account.
    /// <summary>Time of its first sweep; 0 when none.</summary>
    public long SweepStartMs;

    /// <summary>Amount swept into <see cref="NewAccount"/> since then.</summary>
    public long SweptMinor;

    // R13.
    /// <summary>Start of the current loan-contact episode (the first loan contact of it); 0 when none.</summary>
    public long LoanContactMs;

    // R14: the payer's typical transfer and the current window of transfers to new payees.
    /// <summary>Exponentially weighted mean of the party's transfers (weight 1/8 for the newest).</summary>
    public long TypicalOutMinor;

    /// <summary>Time of the window's first transfer to a new payee; 0 when none.</summary>
    public long UrgentWindowStartMs;

    /// <summary>Sum of the transfers to new payees in the window.</summary>
    public long UrgentSumMinor;

    /// <summary>The 32-bit fingerprint of an account that <see cref="NewAccount"/> holds; never 0.</summary>
    public static uint AccountFingerprint(ReadOnlySpan<byte> account) =>
        Math.Max(1u, (uint)System.IO.Hashing.XxHash3.HashToUInt64(account, 0x4E));

    // Event time and duplicate delivery (EngineCore.EventTime.cs). The second step of a sequence ("A then B") that
    // arrives before its first step is remembered here, so the rule fires when A arrives; and the ids of the party's
    // latest events, so a second delivery of one of them changes nothing.
    /// <summary>Ordinal of the open incident among the party's incidents (1, 2, ...): the alert id hashes it, not a time, so an earlier event arriving after a later one keeps the id.</summary>
    public int IncidentOrdinal;

    /// <summary>Facts waiting for the first step of their sequence, see <see cref="PendingMarks"/>.</summary>
    public PendingMarks Pending;

    /// <summary>Next slot of <see cref="RecentEvents"/> to overwrite.</summary>
    public byte RecentEventsNext;

    /// <summary>Latest device event that R06 looks for (screen-share/remote-control/meeting install, screen share start); 0 when none.</summary>
    public long ScreenSignalMs;

    /// <summary>Latest device event that R18 looks for (power off, detach); 0 when none.</summary>
    public long OffSignalMs;

    /// <summary>Latest TRANSFER to a first-time payee (R07's second step); 0 when none.</summary>
    public long NewPayeeTransferMs;

    /// <summary>Its amount.</summary>
    public long NewPayeeTransferMinor;

    /// <summary>Start of the party's latest outbound call that R05 may count (a hotline dial, or any call of a tracked party); 0 when none.</summary>
    public long OutboundCallMs;

    /// <summary>The number that call dialled.</summary>
    public ulong OutboundCalled;

    /// <summary>R09: event time of the transaction that met the drain condition without a risk signal (see <see cref="PendingMarks.R09"/>).</summary>
    public long DrainMetMs;

    /// <summary>R09: the balance left after the window's latest outflow in event time (its <c>payer_balance_after_minor</c>).</summary>
    public long DrainBalanceAfterMinor;

    /// <summary>R09: event time of that outflow; 0 when none.</summary>
    public long DrainBalanceMs;

    /// <summary>R11: event time of the chain's last transfer (in event time); 0 when none.</summary>
    public long TopupLastMs;

    /// <summary>R11: amount of the transfer before the chain's last one; 0 when the chain has one.</summary>
    public long TopupPrevMinor;

    /// <summary>R11: event time of the transfer that met the chain condition without a risk signal (see <see cref="PendingMarks.R11"/>).</summary>
    public long TopupMetMs;

    /// <summary>Hashes of the ids of the last <see cref="RecentEventHashes.Length"/> events applied to this party (0 = empty slot).</summary>
    public RecentEventHashes RecentEvents;

    /// <summary>The 90-day max outgoing amount as of <paramref name="nowMs"/>.</summary>
    public readonly long Max90Days(long nowMs)
    {
        var epoch = (int)(nowMs / Day30Ms);
        var shift = epoch - MaxBucketEpoch;
        return shift switch
        {
            0 => Math.Max(MaxOut0, Math.Max(MaxOut1, MaxOut2)),
            1 => Math.Max(MaxOut0, MaxOut1),
            2 => MaxOut0,
            _ => shift < 0 ? Math.Max(MaxOut0, Math.Max(MaxOut1, MaxOut2)) : 0,
        };
    }

    /// <summary>Records an outgoing amount at <paramref name="nowMs"/> in the 90-day max buckets.</summary>
    public void RecordOutgoing(long nowMs, long amountMinor)
    {
        var epoch = (int)(nowMs / Day30Ms);
        var shift = epoch - MaxBucketEpoch;
        if (shift < 0)
        {
            // A late event: it belongs to an older bucket; keep it conservative in the oldest one still kept.
            if (shift >= -2)
            {
                ref var bucket = ref shift == -1 ? ref MaxOut1 : ref MaxOut2;
                bucket = Math.Max(bucket, amountMinor);
            }

            return;
        }

        if (shift > 0)
        {
            MaxOut2 = shift == 1 ? MaxOut1 : shift == 2 ? MaxOut0 : 0;
            MaxOut1 = shift == 1 ? MaxOut0 : 0;
            MaxOut0 = 0;
            MaxBucketEpoch = epoch;
        }

        MaxOut0 = Math.Max(MaxOut0, amountMinor);
    }

    /// <summary>Remembers <paramref name="eventId"/> as the latest suspicious contact's evidence.</summary>
    public void SetSuspiciousEventId(ReadOnlySpan<byte> eventId)
    {
        var n = Math.Min(eventId.Length, EventIdBytes.Length);
        eventId[..n].CopyTo(LastSuspiciousEventId);
        LastSuspiciousEventIdLength = (byte)n;
    }

    /// <summary>The latest suspicious contact's event id.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> SuspiciousEventId =>
        ((ReadOnlySpan<byte>)LastSuspiciousEventId)[..LastSuspiciousEventIdLength];

    /// <summary>Remembers <paramref name="eventId"/> as the latest rebate's evidence.</summary>
    public void SetRebateEventId(ReadOnlySpan<byte> eventId)
    {
        var n = Math.Min(eventId.Length, EventIdBytes.Length);
        eventId[..n].CopyTo(RebateEventId);
        RebateEventIdLength = (byte)n;
    }

    /// <summary>The latest rebate's transaction id.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> RebateId => ((ReadOnlySpan<byte>)RebateEventId)[..RebateEventIdLength];

    /// <summary>True when <paramref name="eventHash"/> is among the party's recent events.</summary>
    public readonly bool HasRecentEvent(ulong eventHash) =>
        eventHash != 0 && ((ReadOnlySpan<ulong>)RecentEvents).Contains(eventHash);

    /// <summary>Remembers <paramref name="eventHash"/> as applied, overwriting the oldest of the recent events.</summary>
    public void AddRecentEvent(ulong eventHash)
    {
        if (eventHash == 0)
        {
            return;
        }

        var slot = RecentEventsNext % RecentEventHashes.Length;
        RecentEvents[slot] = eventHash;
        RecentEventsNext = (byte)((slot + 1) % RecentEventHashes.Length);
    }

    private const long Day30Ms = 30L * 24 * 3600 * 1000;
}

/// <summary>The 64-bit hashes of a party's last 8 applied event ids, inline so <see cref="PartyState"/> stays blittable.</summary>
[InlineArray(Length)]
public struct RecentEventHashes
{
    /// <summary>Events remembered per party: a second delivery is recognised while fewer than this many other events of the party were applied after the first.</summary>
    public const int Length = 8;

    private ulong _first;
}

/// <summary>Flags of <see cref="PartyState.Pending"/>: a rule's condition met on an event whose context had not arrived yet.</summary>
[Flags]
public enum PendingMarks : byte
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>The remembered first-time-payee transfer is large enough for R07 and has not fired it: it does when its suspicious call (or R06) arrives.</summary>
    R07 = 1,

    /// <summary>R09's drain condition was met without a risk signal: it fires when one arrives (at most the lateness after it).</summary>
    R09 = 2,

    /// <summary>R11's chain condition was met without a risk signal: it fires when one arrives (at most the lateness after it).</summary>
    R11 = 4,
}

/// <summary>Flags of <see cref="PartyState"/>: which sequence rules already fired for the current anchor.</summary>
[Flags]
public enum SequenceMarks : byte
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>R05 fired for the current inbound suspicious call.</summary>
    R05Fired = 1,

    /// <summary>R06 fired for the current suspicious call.</summary>
    R06Fired = 2,

    /// <summary>R09 fired in the current drain window.</summary>
    R09Fired = 4,

    /// <summary>R11 fired for the current chain.</summary>
    R11Fired = 8,

    /// <summary>R10 fired for the current consolidation.</summary>
    R10Fired = 16,

    /// <summary>R13 fired for the current loan-contact episode.</summary>
    R13Fired = 32,

    /// <summary>R14 fired for the current window.</summary>
    R14Fired = 64,
}
