"""The opinion box poster: the PDF (one A4 page, the name and the explanation as text, the font
embedded), the PNG (A4 proportions, its QR code read back by a decoder to the box's address),
the address from the setting or the request, and the staff page's access matrix."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from massline.access.models import Role
from massline.conftest import login_client
from massline.opinions import poster
from massline.orgs.models import Organization

URL = "https://yijian.example.gov.cn/p/o/1234/"


def _org(name: str = "中共保合少镇古路板村支部委员会", code: str = "150102101201"):
    return Organization(pk=1234, name=name, code=code)


def _text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def _decoded(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def _embedded_fonts(pdf: bytes) -> set[str]:
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    names = set()
    for ref in fonts.values():
        font = ref.get_object()
        # reportlab embeds subsets of a TrueType font as simple TrueType fonts
        if "/FontFile2" in font.get("/FontDescriptor", {}):
            names.add(str(font["/BaseFont"]).split("+")[-1])
    return names


# -- the PDF ----------------------------------------------------------------------------------


def test_the_pdf_is_one_a4_page_in_chinese_with_the_font_embedded():
    # when
    with translation.override("zh-hans"):
        pdf = poster.poster_pdf(_org(), URL)
    # then
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = _text(pdf)
    for expected in ("征求意见", "中共保合少镇古路板村支部委员会", "回执码", "匿名", URL):
        assert expected in text
    assert "150102101201" in text
    assert _embedded_fonts(pdf) == {"NotoSansSC-Regular", "NotoSansSC-Bold"}
    assert reader.metadata.title == "征求意见 · 中共保合少镇古路板村支部委员会"


def test_the_same_poster_twice_is_the_same_file():
    assert poster.poster_pdf(_org(), URL) == poster.poster_pdf(_org(), URL)


@pytest.mark.parametrize(
    "name",
    [
        "<b>A&B</b> 支部 & <script>alert(1)</script>",  # markup is text
        "中共内蒙古自治区呼和浩特市新城区保合少镇古路板村第一党支部委员会" * 2,  # long
        "𠮷野家社区党支部😀",  # a rare character and an emoji
    ],
)
def test_any_name_makes_a_poster(name):
    with translation.override("zh-hans"):
        pdf = poster.poster_pdf(_org(name), URL)
    text = _text(pdf).replace("\n", "")
    assert name.replace("😀", "").replace("𠮷", "\x00")[:20] in text
    assert _decoded(poster.poster_png(_org(name), URL)) == [URL]


def test_the_characters_the_font_lacks_are_named():
    assert poster.missing_characters("中共古路板村支部委员会 ＡＢ & <b>") == []
    assert poster.missing_characters("𠮷野家😀社区𠮷") == ["𠮷", "😀"]


def test_a_missing_font_is_named(settings, tmp_path):
    settings.POSTER_FONT_DIR = tmp_path
    poster.fonts.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="make setup"):
            poster.poster_pdf(_org(), URL)
    finally:
        settings.POSTER_FONT_DIR = settings.NODE_MODULES / "@expo-google-fonts" / "noto-sans-sc"
        poster.fonts.cache_clear()


# -- the PNG ----------------------------------------------------------------------------------


def test_the_png_is_a4_and_its_code_leads_to_the_box():
    # when
    png = poster.poster_png(_org(), URL)
    # then
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    width, height = image.size
    assert (width, height) == (1241, 1754)  # A4 at 150 dpi
    assert abs(width / height - 210 / 297) < 0.002
    assert _decoded(png) == [URL]


def test_a_lower_resolution_still_reads():
    png = poster.poster_png(_org(), URL, dpi=72)
    width, height = Image.open(io.BytesIO(png)).size
    assert height == 842
    assert abs(width / height - 210 / 297) < 0.002
    assert _decoded(png) == [URL]


# -- the address ------------------------------------------------------------------------------


def test_the_address_comes_from_the_setting(settings):
    settings.PUBLIC_URL = "https://yijian.example.gov.cn"
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1:8000")
    assert poster.box_url(_org(), request) == URL
    assert poster.box_url(_org()) == URL


@pytest.mark.parametrize("public", ["yijian.example.gov.cn", "//yijian.example.gov.cn", "ftp://x"])
def test_an_address_without_its_scheme_is_refused(settings, public):
    settings.PUBLIC_URL = public
    with pytest.raises(ImproperlyConfigured, match="https://"):
        poster.box_url(_org())


def test_without_the_setting_the_address_is_the_requests_host(settings):
    settings.PUBLIC_URL = ""
    request = RequestFactory().get("/", HTTP_HOST="localhost:8000")
    assert poster.box_url(_org(), request) == "http://localhost:8000/p/o/1234/"
    with pytest.raises(ImproperlyConfigured):
        poster.box_url(_org())


# -- the pages --------------------------------------------------------------------------------

CASES = {
    "system_admin/all": ("system_admin", "all", []),
    "campaign_office/subtree": ("campaign_office", "subtree", []),
    "org_admin/this_org": ("org_admin", "this_org", []),
    "supervisor/custom": ("supervisor", "custom", ["county_a1", "branch_b1"]),
    "member/self": ("member", "self", []),
    "orgs_viewer/subtree": ("orgs_viewer", "subtree", []),
}
RELATIONS = ["county_a1", "town_a1", "county_a2", "pref_a"]  # same, below, beside, above
#                              same desc  sib  anc
VIEW = {
    "system_admin/all": (200, 200, 200, 200),
    "campaign_office/subtree": (200, 200, 404, 404),
    "org_admin/this_org": (200, 404, 404, 404),
    "supervisor/custom": (200, 404, 404, 404),
    "member/self": (404, 404, 404, 404),
    "orgs_viewer/subtree": (403, 403, 404, 404),  # sees the organizations, not the opinions
}
ENDPOINTS = {
    "page": ("/opinions/poster/{id}/", "text/html; charset=utf-8"),
    "pdf": ("/opinions/poster/{id}/poster.pdf", "application/pdf"),
    "png": ("/opinions/poster/{id}/poster.png", "image/png"),
}


def _user(tree, make_user, roles, case):
    role, scope, custom = CASES[case]
    if role not in roles:
        roles[role] = Role.objects.create(code=role, name=role, permissions=["orgs.view"])
    return make_user(role, tree.county_a1, scope, custom=[getattr(tree, k) for k in custom])


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("relation", range(len(RELATIONS)))
@pytest.mark.parametrize("case", list(CASES))
def test_access_matrix(tree, make_user, roles, case, relation, endpoint, settings):
    # given
    settings.PUBLIC_URL = ""
    target = getattr(tree, RELATIONS[relation])
    client = login_client(_user(tree, make_user, roles, case))
    url, content_type = ENDPOINTS[endpoint]
    # when
    response = client.get(url.format(id=target.pk))
    # then
    expected = VIEW[case][relation]
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == content_type
    if expected == 200 and endpoint == "page":
        assert target.name in response.content.decode()
    if expected == 200 and endpoint == "png":
        assert _decoded(response.content) == [f"http://testserver/p/o/{target.pk}/"]
    if expected != 200:
        assert target.name not in response.content.decode(errors="replace")


def test_the_page_shows_the_preview_and_the_downloads(tree, make_user, settings):
    # given
    settings.PUBLIC_URL = "https://yijian.example.gov.cn"
    org = tree.village_a1
    client = login_client(make_user("org_admin", tree.county_a1))
    # when
    page = client.get(f"/opinions/poster/{org.pk}/").content.decode()
    pdf = client.get(f"/opinions/poster/{org.pk}/poster.pdf?download=1")
    png = client.get(f"/opinions/poster/{org.pk}/poster.png")
    # then
    box = f"https://yijian.example.gov.cn/p/o/{org.pk}/"
    assert "意见箱海报" in page
    assert box in page
    assert f'src="/opinions/poster/{org.pk}/poster.png"' in page
    assert f'href="/opinions/poster/{org.pk}/poster.pdf?download=1"' in page
    assert "下载 PDF（用于打印）" in page
    assert pdf["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert "150102101201.pdf" in pdf["Content-Disposition"]
    assert png["Content-Disposition"].startswith("inline")
    assert org.name in _text(pdf.content)
    assert box in _text(pdf.content).replace("\n", "")
    assert _decoded(png.content) == [box]


def test_the_page_warns_of_characters_the_font_lacks(tree, make_user):
    # given a branch whose name has a character outside the font
    from massline.orgs.services import org_update

    org = tree.village_a2
    org_update(actor=None, org=org, name="中共𠮷野家村支部委员会")
    client = login_client(make_user("org_admin", tree.county_a1))
    # when
    page = client.get(f"/opinions/poster/{org.pk}/").content.decode()
    # then
    assert 'data-testid="missing"' in page
    assert "海报字体缺少名称中的这些字" in page and "𠮷" in page
    other = client.get(f"/opinions/poster/{tree.village_a1.pk}/").content.decode()
    assert 'data-testid="missing"' not in other


@pytest.mark.parametrize("url", list(e[0] for e in ENDPOINTS.values()))
def test_no_login_no_poster(tree, url):
    response = Client().get(url.format(id=tree.county_a1.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("org_id", ["999999", "0"])
def test_an_unknown_organization(tree, make_user, org_id):
    client = login_client(make_user("system_admin", tree.root, "all"))
    assert client.get(f"/opinions/poster/{org_id}/").status_code == 404
    assert client.get(f"/opinions/poster/{org_id}/poster.pdf").status_code == 404


def test_posters_made_at_once_in_threads_are_all_whole():
    # the web server runs four threads a process; PDFium and reportlab's fonts are shared
    from concurrent.futures import ThreadPoolExecutor

    alone = poster.poster_png(_org(), URL, dpi=72)
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _i: poster.poster_png(_org(), URL, dpi=72), range(6)))
    assert made == [alone] * 6
