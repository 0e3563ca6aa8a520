"""The wish list as CSV/XLSX for the street office (django-import-export, export only).

One row per wish: what it is, where, its beneficiary, who claimed it and when it was fulfilled. The
beneficiary's phone and address are masked (138****5678) unless the person exporting holds
`wishes.view_beneficiary_contact`; the admin passes the requesting user in (`get_export_resource_kwargs`).
A file leaves the portal, so without that permission the name is masked too (胡** for 胡秀兰): the issue's
privacy rule is that no export to staff without the permission carries a full name, address, phone or birth year.
Which wishes are exported is the admin's business: its queryset is already limited to the user's scope.
"""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from wishes.models import Claim, Wish, mask_address, mask_phone

CONTACT_PERMISSION = "wishes.view_beneficiary_contact"


def sees_contact(user):
    """Whether `user` may read beneficiaries' full phone numbers and addresses."""
    return user is not None and getattr(user, "is_authenticated", False) and user.has_perm(CONTACT_PERMISSION)


def mask_name(beneficiary):
    """胡秀兰 → 胡**: the surname, for staff to recognise the row, and nothing more."""
    name = beneficiary.full_name.strip()
    surname = beneficiary.surname
    return surname + "*" * max(len(name) - len(surname), 1) if name else ""


def live_claim_prefetch():
    """Each wish's live claim (at most one: a database constraint), with its claimer and organisation, in one query."""
    return Prefetch(
        "claims",
        queryset=Claim.objects.filter(status__in=Claim.LIVE).select_related("claimer", "organisation"),
        to_attr="live_claims",
    )


def live_claim(wish):
    """The wish's claim that is not released, or None. Uses `live_claim_prefetch()` when the queryset had it."""
    claims = getattr(wish, "live_claims", None)
    if claims is None:
        claims = list(wish.claims.filter(status__in=Claim.LIVE).select_related("claimer", "organisation")[:1])
    return claims[0] if claims else None


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


class WishResource(resources.ModelResource):
    id = fields.Field(attribute="id", column_name=_("id"))
    alias = fields.Field(attribute="alias", column_name=_("public alias"))
    title = fields.Field(attribute="title", column_name=_("wish"))
    category = fields.Field(column_name=_("category"))
    value = fields.Field(attribute="estimated_value", column_name=_("estimated value (yuan)"))
    status = fields.Field(column_name=_("status"))
    station = fields.Field(attribute="station__name", column_name=_("station"))
    neighbourhood = fields.Field(attribute="beneficiary__neighbourhood__name", column_name=_("neighbourhood or village"))
    campaign = fields.Field(attribute="campaign__name", column_name=_("campaign"))
    beneficiary = fields.Field(column_name=_("beneficiary"))
    phone = fields.Field(column_name=_("phone"))
    address = fields.Field(column_name=_("address"))
    hardship = fields.Field(column_name=_("kind of hardship"))
    claimer = fields.Field(column_name=_("claimer"))
    organisation = fields.Field(column_name=_("on behalf of"))
    deadline = fields.Field(column_name=_("fulfil by"))
    fulfilled_at = fields.Field(column_name=_("fulfilled at"))

    class Meta:
        model = Wish
        name = _("Wish list")
        fields = [
            "id", "alias", "title", "category", "value", "status", "station", "neighbourhood", "campaign", "beneficiary",
            "phone", "address", "hardship", "claimer", "organisation", "deadline", "fulfilled_at",
        ]
        export_order = fields

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        # Without a user (the export form lists the columns), nothing is shown in full.
        self.show_contact = sees_contact(user)

    def export(self, queryset=None, **kwargs):
        if queryset is not None:
            # Whatever the caller prefetched, load exactly what the rows need: a fixed number of queries.
            queryset = (
                queryset.select_related("station", "campaign", "beneficiary__neighbourhood")
                .prefetch_related(None)
                .prefetch_related(live_claim_prefetch())
            )
        return super().export(queryset=queryset, **kwargs)

    def dehydrate_category(self, wish):
        return str(wish.get_category_display())

    def dehydrate_status(self, wish):
        return str(wish.get_status_display())

    def dehydrate_hardship(self, wish):
        return str(wish.beneficiary.get_hardship_display())

    def dehydrate_beneficiary(self, wish):
        return wish.beneficiary.full_name if self.show_contact else mask_name(wish.beneficiary)

    def dehydrate_phone(self, wish):
        phone = wish.beneficiary.phone
        return phone if self.show_contact else mask_phone(phone)

    def dehydrate_address(self, wish):
        address = wish.beneficiary.address
        return address if self.show_contact else mask_address(address)

    def dehydrate_claimer(self, wish):
        claim = live_claim(wish)
        return str(claim.claimer) if claim else ""

    def dehydrate_organisation(self, wish):
        claim = live_claim(wish)
        return claim.organisation.name if claim and claim.organisation else ""

    def dehydrate_deadline(self, wish):
        claim = live_claim(wish)
        return _local(claim.deadline) if claim and claim.status in Claim.OPEN else ""

    def dehydrate_fulfilled_at(self, wish):
        claim = live_claim(wish)
        return _local(claim.confirmed_at) if claim and claim.status == Claim.Status.CONFIRMED else ""
